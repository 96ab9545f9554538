import ParleyProtocol
import ParleyStore

extension Chat {
    /// Deletes messages for the caller only: their devices stop showing them (history withholds
    /// them, search skips them); other members see no change. The caller's devices are told
    /// with `message_deleted`, a notification in the caller's own inbox, so a device that was
    /// offline learns it on its next sync.
    public func delete(_ request: DeleteRequest, by caller: Caller) async throws -> DeleteAck {
        try requireIdentifier(request.conversationId, named: "conversationId")
        let ids = request.messageIds.distinct
        guard (1...limits.maxForwardMessages).contains(ids.count) else {
            throw ChatError.badRequest("'messageIds' must list 1 to \(limits.maxForwardMessages) messages")
        }
        for id in ids { try requireIdentifier(id, named: "messageIds") }
        _ = try await requireMembership(caller, in: request.conversationId)
        let found = try await store.messages(ids: ids)
        for id in ids where !found.contains(where: { $0.messageId == id && $0.conversationId == request.conversationId }) {
            throw ChatError.notFound("message '\(id.prefix(64))' not found in this conversation")
        }
        let notice = Notice(
            type: NotificationType.messageDeleted, title: "Messages deleted",
            actionData: ["conversationId": .string(request.conversationId), "messageIds": .strings(ids)], priority: "low")
        await deliver(try await store.hideMessages(
            userId: caller.userId, conversationId: request.conversationId, messageIds: ids, at: clock.now(),
            notices: address(notice, to: [caller.userId])))
        return DeleteAck(conversationId: request.conversationId, messageIds: ids)
    }
}
