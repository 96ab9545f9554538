import ParleyProtocol
import ParleyStore

extension Chat {
    /// Adds or removes the caller's emoji reaction on a message. Members are told with
    /// `message_reaction`; history shows the counts and whether the reader reacted.
    public func react(_ request: ReactionRequest, by caller: Caller) async throws -> ReactionAck {
        try requireIdentifier(request.conversationId, named: "conversationId")
        try requireIdentifier(request.messageId, named: "messageId")
        let emoji = request.emoji
        guard !emoji.isEmpty, emoji.utf8.count <= 32, emoji.count <= 4,
            !emoji.unicodeScalars.contains(where: { $0.properties.isWhitespace || UserText.isDisruptive($0) })
        else {
            throw ChatError.badRequest("'emoji' must be one emoji (at most 32 bytes, no spaces)")
        }
        let add: Bool
        switch request.action ?? "add" {
        case "add": add = true
        case "remove": add = false
        default: throw ChatError.badRequest("'action' must be 'add' or 'remove'")
        }
        _ = try await requireMembership(caller, in: request.conversationId)
        let message = try await conversationMessage(request.messageId, in: request.conversationId)
        if add, message.recalled { throw ChatError.badRequest("a recalled message cannot get reactions") }
        if add {
            let mine = try await store.reactions(messageIds: [request.messageId]).filter { $0.userId == caller.userId }
            if mine.count >= limits.maxReactionsPerUser, !mine.contains(where: { $0.emoji == emoji }) {
                throw ChatError.badRequest("at most \(limits.maxReactionsPerUser) different reactions per message")
            }
        }
        let changed = try await store.setReaction(
            ReactionRecord(messageId: request.messageId, userId: caller.userId, emoji: emoji),
            conversationId: request.conversationId, add: add, at: clock.now())
        let counts = Self.counts(try await store.reactions(messageIds: [request.messageId]), for: caller.userId)
        if changed {
            let notice = NotificationPayload(
                notificationType: NotificationType.messageReaction, actionType: "none",
                actionData: .object([
                    "conversationId": .string(request.conversationId), "messageId": .string(request.messageId),
                    "userId": .string(caller.userId), "emoji": .string(emoji), "action": .string(add ? "add" : "remove"),
                    "reactions": .array(counts.map { .object(["emoji": .string($0.emoji), "count": .integer($0.count)]) }),
                ]),
                priority: "low")
            await deliver(frames.notification(notice), to: try await memberIds(of: request.conversationId), except: caller.sessionId)
        }
        return ReactionAck(status: add ? "added" : "removed", conversationId: request.conversationId, messageId: request.messageId, reactions: counts)
    }
}
