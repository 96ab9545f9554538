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
        let content = try MessageContent.validate(type: request.contentType, content: request.content, limits: limits)
        let atUsers = request.atUsers ?? []
        if atUsers.count > limits.maxMentions {
            throw ChatError.badRequest("'atUsers' lists more than \(limits.maxMentions) users")
        }
        if let replyTo = request.replyTo { try requireIdentifier(replyTo, named: "replyTo") }
        let (target, recipients) = try await resolveTarget(request, from: caller)

        let outcome = try await store.appendMessage(NewMessage(
            target: target, messageId: ids.next(), senderId: caller.userId, localId: request.localId,
            contentType: request.contentType, content: content.text, atUsers: atUsers,
            mentions: atUsers.filter { recipients.contains($0) || $0 == "all" }, replyTo: request.replyTo,
            createdAt: clock.now()))
        let message = outcome.message
        if !outcome.duplicate {
            let sender = try await profiles.user(caller.userId)
            var live = payload(message, names: sender.map { [$0.id: $0] } ?? [:], parsingContent: false)
            live.content = content.value
            let frame = frames.message(live)
            await deliver(frame, to: recipients, except: caller.sessionId)
        }
        return SendAck(
            localId: request.localId, messageId: message.messageId, conversationId: message.conversationId,
            seq: message.seq, timestamp: message.createdAt)
    }

    /// Where a message goes, and who receives it (the sender included, for their other devices).
    private func resolveTarget(_ request: SendMessage, from caller: Caller) async throws -> (MessageTarget, [String]) {
        if let conversationId = request.conversationId {
            try requireIdentifier(conversationId, named: "conversationId")
            if let (a, b) = ConversationID.privateUsers(conversationId) {
                guard caller.userId == a || caller.userId == b else {
                    throw ChatError.forbidden("not a member of this conversation")
                }
                return try await privateTarget(to: caller.userId == a ? b : a, from: caller)
            }
            _ = try await requireMembership(caller, in: conversationId)
            return (.conversation(conversationId), try await store.memberIds(conversationId: conversationId))
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
            let conversationId = "g_" + groupId
            _ = try await requireMembership(caller, in: conversationId)
            return (.conversation(conversationId), try await store.memberIds(conversationId: conversationId))
        case nil:
            throw ChatError.badRequest("one of 'receiverId', 'groupId' or 'conversationId' is required")
        }
    }

    private func privateTarget(to receiverId: String, from caller: Caller) async throws -> (MessageTarget, [String]) {
        if receiverId == caller.userId {
            throw ChatError.badRequest("cannot send a private message to yourself")
        }
        guard try await profiles.user(receiverId) != nil else {
            throw ChatError.notFound("user '\(receiverId.prefix(64))' not found")
        }
        let id = ConversationID.privateChat(caller.userId, receiverId)
        let (a, b) = ConversationID.privateUsers(id)!
        return (.privateChat(conversationId: id, userA: a, userB: b), [receiverId, caller.userId])
    }
}
