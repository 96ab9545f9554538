import ParleyProtocol
import ParleyStore

extension Chat {
    /// Pins, mutes (do-not-disturb) or hides a conversation for the caller. The caller's other
    /// devices are told with `conversation_updated`, and see the change on their next sync.
    public func updateSettings(_ settings: ConversationSettings, of conversationId: String, by caller: Caller) async throws -> ConversationSettings {
        try requireIdentifier(conversationId, named: "conversationId")
        if settings.pinned == nil, settings.muted == nil, settings.hidden == nil {
            throw ChatError.badRequest("give at least one of 'pinned', 'muted', 'hidden'")
        }
        _ = try await requireMembership(caller, in: conversationId)
        guard let updated = try await store.updateSettings(
            conversationId: conversationId, userId: caller.userId,
            ConversationSettingsChange(pinned: settings.pinned, muted: settings.muted, hidden: settings.hidden))
        else {
            throw ChatError.forbidden("not a member of this conversation")
        }
        let result = ConversationSettings(
            conversationId: conversationId, pinned: updated.pinned, muted: updated.muted, hidden: updated.hiddenSeq != nil)
        let notice = NotificationPayload(
            notificationType: NotificationType.conversationUpdated, actionType: "none",
            actionData: .object([
                "conversationId": .string(conversationId), "pinned": .bool(updated.pinned), "muted": .bool(updated.muted),
                "hidden": .bool(updated.hiddenSeq != nil),
            ]),
            priority: "low")
        await deliver(frames.notification(notice), to: [caller.userId], except: caller.sessionId)
        return result
    }
}
