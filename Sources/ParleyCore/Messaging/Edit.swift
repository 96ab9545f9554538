import ParleyProtocol
import ParleyStore

extension Chat {
    /// Replaces the content of one's own message (text and custom), within the edit window.
    /// The edit is an event with the conversation's next seq; the earlier content joins the
    /// message's edit history; members are told with `message_edited`.
    public func edit(_ request: EditRequest, by caller: Caller) async throws -> EditAck {
        try requireIdentifier(request.conversationId, named: "conversationId")
        try requireIdentifier(request.messageId, named: "messageId")
        _ = try await requireMembership(caller, in: request.conversationId)
        let message = try await conversationMessage(request.messageId, in: request.conversationId)
        guard message.senderId == caller.userId else { throw ChatError.forbidden("only the sender can edit a message") }
        if message.recalled { throw ChatError.badRequest("a recalled message cannot be edited") }
        guard MessageContent.editableTypes.contains(message.contentType) else {
            throw ChatError.badRequest("\(message.contentType) messages cannot be edited")
        }
        if clock.now() - message.createdAt > limits.editWindowMs {
            throw ChatError.forbidden("the edit window of \(limits.editWindowMs / 1000) s has passed")
        }
        let content = try screen(
            try MessageContent.validate(type: message.contentType, content: request.content, limits: limits), type: message.contentType)
        let outcome = try await store.editMessage(NewEdit(
            conversationId: request.conversationId, messageId: request.messageId, eventId: ids.next(), editedBy: caller.userId,
            content: content.text, searchText: MessageContent.searchableText(type: message.contentType, content: content.value),
            createdAt: clock.now()))
        let notice = NotificationPayload(
            notificationType: NotificationType.messageEdited, title: "Message edited", actionType: "none",
            actionData: .object([
                "conversationId": .string(request.conversationId), "messageId": .string(request.messageId),
                "seq": .integer(message.seq), "eventSeq": .integer(outcome.event.seq), "editedBy": .string(caller.userId),
                "content": content.value, "editedAt": .integer(outcome.event.createdAt),
            ]))
        await deliver(frames.notification(notice), to: try await memberIds(of: request.conversationId))
        await postEvent("message.edited", notice.actionData.objectValue ?? [:])
        return EditAck(
            conversationId: request.conversationId, messageId: request.messageId, seq: outcome.event.seq,
            timestamp: outcome.event.createdAt)
    }

    /// A message's content now and before each edit (members only).
    public func editHistory(of messageId: String, in conversationId: String, for caller: Caller) async throws -> EditHistory {
        try requireIdentifier(conversationId, named: "conversationId")
        try requireIdentifier(messageId, named: "messageId")
        _ = try await requireMembership(caller, in: conversationId)
        let message = try await conversationMessage(messageId, in: conversationId)
        let hidden = try await store.hiddenMessageIds(userId: caller.userId, among: [messageId])
        if message.recalled || !hidden.isEmpty {
            return EditHistory(messageId: messageId, current: nil, editedAt: message.editedAt, edits: [])
        }
        let edits = try await store.edits(messageId: messageId)
        return EditHistory(
            messageId: messageId, current: message.content.map(JSONValue.init(jsonText:)), editedAt: message.editedAt,
            edits: edits.map { EditHistory.Version(content: JSONValue(jsonText: $0.content), replacedAt: $0.replacedAt) })
    }
}
