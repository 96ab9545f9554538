import ParleyProtocol

extension Chat {
    /// Tells the other members that the caller started or stopped typing. Never stored.
    public func typing(_ request: TypingRequest, from caller: Caller) async throws {
        try requireIdentifier(request.conversationId, named: "conversationId")
        _ = try await requireMembership(caller, in: request.conversationId)
        let notice = NotificationPayload(
            notificationType: NotificationType.typing, actionType: "none",
            actionData: .object([
                "conversationId": .string(request.conversationId),
                "userId": .string(caller.userId),
                "state": .string(request.state.rawValue),
            ]),
            priority: "low")
        var recipients = try await memberIds(of: request.conversationId)
        recipients.removeAll { $0 == caller.userId }
        await deliver(frames.notification(notice), to: recipients)
    }
}
