import ParleyProtocol
import ParleyStore

extension Chat {
    /// Recalls a message: the sender may, within the recall window; in a group, the owner and
    /// admins may recall any message of a member they outrank, and their own, at any time.
    /// The recall is an event with the conversation's next seq; members are told with
    /// `message_recalled`. Recalling again returns the first recall's ack and tells nobody twice.
    public func recall(_ request: RecallRequest, by caller: Caller) async throws -> RecallAck {
        try requireIdentifier(request.conversationId, named: "conversationId")
        try requireIdentifier(request.messageId, named: "messageId")
        let membership = try await requireMembership(caller, in: request.conversationId)
        guard let message = try await store.message(id: request.messageId),
            message.conversationId == request.conversationId
        else {
            throw ChatError.notFound("message not found in this conversation")
        }
        if message.isEvent {
            throw ChatError.badRequest("an event cannot be recalled")
        }
        if !message.recalled {
            try await requireRecallRight(message, membership: membership, caller: caller)
        }
        let outcome = try await store.recallMessage(NewRecall(
            conversationId: request.conversationId, messageId: request.messageId, eventId: ids.next(),
            recalledBy: caller.userId, createdAt: clock.now()))
        if !outcome.duplicate {
            let notice = NotificationPayload(
                notificationType: NotificationType.messageRecalled, title: "Message recalled", content: "",
                actionType: "none",
                actionData: .object([
                    "conversationId": .string(request.conversationId),
                    "messageId": .string(request.messageId),
                    "seq": .number(Double(outcome.original.seq)),
                    "recalledBy": .string(caller.userId),
                    "eventSeq": .number(Double(outcome.event.seq)),
                ]))
            // Every member's sessions, the recalling one included: it may show the recall
            // from the notification as every other device does.
            let members = try await memberIds(of: request.conversationId)
            await deliver(frames.notification(notice), to: members)
            await postEvent("message.recalled", notice.actionData.objectValue ?? [:])
        }
        return RecallAck(
            conversationId: request.conversationId, messageId: request.messageId, seq: outcome.event.seq,
            timestamp: outcome.event.createdAt)
    }

    private func requireRecallRight(_ message: MessageRecord, membership: MembershipRecord, caller: Caller) async throws {
        let isGroup = ConversationID.type(of: message.conversationId) == .group
        if isGroup, membership.role >= .admin {
            if message.senderId == caller.userId { return }
            let senderRole = try await store.membership(conversationId: message.conversationId, userId: message.senderId)?.role ?? .member
            guard membership.role > senderRole else {
                throw ChatError.forbidden("cannot recall a message of a member whose role is \(senderRole.rawValue)")
            }
            return
        }
        guard message.senderId == caller.userId else {
            throw ChatError.forbidden("only the sender (or a group admin) can recall a message")
        }
        if clock.now() - message.createdAt > limits.recallWindowMs {
            throw ChatError.forbidden("the recall window of \(limits.recallWindowMs / 1000) s has passed")
        }
    }
}
