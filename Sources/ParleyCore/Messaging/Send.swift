import ParleyProtocol
import ParleyStore

extension Chat {
    /// Sends a message: validate → persist (seq assigned, deduplicated by `localId`) →
    /// deliver to every recipient session and the sender's other sessions.
    ///
    /// Returns the `ack` data only after the message is durably stored. A retry with the
    /// same `localId` returns the original ack and delivers nothing again.
    public func send(_ request: SendMessage, from caller: Caller) async throws -> SendAck {
        try requireIdentifier(request.localId, named: "localId")
        let started = monotonicNanoseconds()
        metrics.messagesReceived.add()
        let given = try await resolvingMedia(request.contentType, request.content, by: caller)
        var content = try screen(
            try MessageContent.validate(type: request.contentType, content: given, limits: limits), type: request.contentType)
        let requested = request.atUsers ?? []
        if requested.count > limits.maxMentions {
            throw ChatError.badRequest("'atUsers' lists more than \(limits.maxMentions) users")
        }
        for id in requested { try requireIdentifier(id, named: "atUsers") }
        if let replyTo = request.replyTo { try requireIdentifier(replyTo, named: "replyTo") }
        let resolved = try await resolveTarget(request, from: caller)
        let mentions = try mentions(requested, in: resolved)
        // Stored and delivered as resolved: members (in the order written) and `all`, never raw strings.
        let atUsers = mentions
        if request.contentType == "forward" { content = try await forwardSnapshot(content.value, by: caller) }
        content = try await reviewed(content, type: request.contentType, target: resolved.target, localId: request.localId, by: caller)
        let replied = try await request.replyTo.asyncMap { try await repliedMessage($0, in: resolved.target.conversationId) }

        var new = NewMessage(
            target: resolved.target, messageId: ids.next(), senderId: caller.userId, localId: request.localId,
            contentType: request.contentType, content: content.text, atUsers: atUsers,
            mentions: mentions, replyTo: request.replyTo, createdAt: clock.now())
        new.searchText = MessageContent.searchableText(type: request.contentType, content: content.value)
        new.mediaIds = MessageContent.mediaIds(type: request.contentType, content: content.value)
        new.refuseIfBlocked = resolved.blocksCheckedOnAppend
        let push = pushTask(for: new, recipients: resolved.recipients)
        if let push { new.tasks = [push] }
        let storing = monotonicNanoseconds()
        let outcome: AppendOutcome
        do {
            outcome = try await store.appendMessage(new)
        } catch StoreError.blocked(let blockers) {
            throw blockedError(blockers, caller: caller.userId)
        }
        metrics.storeAppend.observe(nanoseconds: monotonicNanoseconds() - storing)
        let recipients = resolved.recipients
        let message = outcome.message
        if !outcome.duplicate {
            let names = try await profiles.users(Set([caller.userId] + (replied.map { [$0.senderId] } ?? [])))
            var live = payload(message, names: names, parsingContent: false)
            live.content = content.value
            live.quote = replied.map { quote(of: $0, names: names) }
            let frame = frames.message(live)
            await deliver(frame, to: recipients, except: caller.sessionId)
            metrics.delivery.observe(nanoseconds: monotonicNanoseconds() - started)
            await readBySending(outcome, from: caller, recipients: recipients)
            await postEvent("message.sent", ["message": eventValue(live)])
        }
        // Before the ack: an acknowledged message's push survives a crash. After the live
        // delivery: if posting fails, the client's resend (a duplicate) posts it, and the
        // recipients have the message already.
        try await queuePush(outcome, stored: push != nil, recipients: recipients)
        return SendAck(
            localId: request.localId, messageId: message.messageId, conversationId: message.conversationId,
            seq: message.seq, timestamp: message.createdAt)
    }

    /// Where a message goes, who receives it (the sender included, for their other devices),
    /// and the sender's role when it is a group.
    struct ResolvedTarget {
        var target: MessageTarget
        var recipients: [String]
        var groupRole: GroupRole?
        /// A private chat whose block check is left to the append (no read before it).
        var blocksCheckedOnAppend = false
    }

    private func resolveTarget(_ request: SendMessage, from caller: Caller) async throws -> ResolvedTarget {
        if let conversationId = request.conversationId {
            try requireIdentifier(conversationId, named: "conversationId")
            if let (a, b) = ConversationID.privateUsers(conversationId) {
                guard caller.userId == a || caller.userId == b else {
                    throw ChatError.forbidden("not a member of this conversation")
                }
                return try await privateTarget(to: caller.userId == a ? b : a, from: caller)
            }
            return try await groupTarget(conversationId, from: caller)
        }
        let inferred: ConversationType? = request.groupId != nil ? .group : (request.receiverId != nil ? .private : nil)
        switch request.conversationType ?? inferred {
        case .private?:
            guard let receiverId = request.receiverId else {
                throw ChatError.badRequest("missing field 'receiverId' for a private message")
            }
            try requireIdentifier(receiverId, named: "receiverId")
            return try await privateTarget(to: receiverId, from: caller)
        case .group?:
            guard let groupId = request.groupId else {
                throw ChatError.badRequest("missing field 'groupId' for a group message")
            }
            try requireIdentifier(groupId, named: "groupId")
            return try await groupTarget("g_" + groupId, from: caller)
        case nil:
            throw ChatError.badRequest("one of 'receiverId', 'groupId' or 'conversationId' is required")
        }
    }

    /// A private chat: refused when either user blocked the other, and, when the receiver
    /// (or the server) accepts friends only, when they are not friends.
    private func privateTarget(to receiverId: String, from caller: Caller) async throws -> ResolvedTarget {
        if receiverId == caller.userId {
            throw ChatError.badRequest("cannot send a private message to yourself")
        }
        guard let receiver = try await profiles.user(receiverId), receiver.deletedAt == nil else {
            throw ChatError.notFound("user '\(receiverId.prefix(64))' not found")
        }
        // The block check is made by the append, in the message's own transaction, saving a
        // read per send. It comes first when something else must not see a blocked send: the
        // pre-send webhook, or the friends check (blocked outranks "friends only").
        let friendsOnly = limits.friendsOnly || receiver.friendsOnly
        let checkFirst = friendsOnly || hook != nil
        if checkFirst {
            try await requireNoBlock(between: caller.userId, and: receiverId)
        }
        if friendsOnly, !(try await store.areFriends(caller.userId, receiverId)) {
            throw ChatError.forbidden("this user accepts private messages from friends only")
        }
        let id = ConversationID.privateChat(caller.userId, receiverId)
        let (a, b) = ConversationID.privateUsers(id)!
        return ResolvedTarget(
            target: .privateChat(conversationId: id, userA: a, userB: b), recipients: [receiverId, caller.userId],
            blocksCheckedOnAppend: !checkFirst)
    }

    /// A group conversation: members only, and not while muted (one member, or all but admins).
    private func groupTarget(_ conversationId: String, from caller: Caller) async throws -> ResolvedTarget {
        let membership = try await requireMembership(caller, in: conversationId)
        let now = clock.now()
        if membership.mutedUntil > now {
            throw ChatError.forbidden("you are muted in this group until \(membership.mutedUntil)")
        }
        if membership.role == .member, let group = try await store.group(id: String(conversationId.dropFirst(2))), group.muteAll {
            throw ChatError.forbidden("the group is muted: only the owner and admins may speak")
        }
        return ResolvedTarget(
            target: .conversation(conversationId), recipients: try await memberIds(of: conversationId),
            groupRole: membership.role)
    }

    /// The users a message mentions: listed members, and everyone (`all`, also written `@all`)
    /// when a group admin says so.
    private func mentions(_ atUsers: [String], in resolved: ResolvedTarget) throws -> [String] {
        if atUsers.isEmpty { return [] }
        let everyone = atUsers.contains("all") || atUsers.contains("@all")
        if everyone, (resolved.groupRole ?? .member) < .admin {
            throw ChatError.forbidden("only group admins may mention everyone ('all')")
        }
        let members = Set(resolved.recipients)
        return atUsers.filter { members.contains($0) }.distinct + (everyone ? ["all"] : [])
    }
}

extension MessageTarget {
    /// The conversation a message goes to.
    var conversationId: String {
        switch self {
        case .conversation(let id): id
        case .privateChat(let id, _, _): id
        }
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
