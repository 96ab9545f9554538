import ParleyProtocol
import ParleyStore

extension Chat {
    /// Records a cumulative receipt (everything up to `seq` delivered, or read) and tells the
    /// other members with `delivery_receipt` / `read_receipt`. A read receipt also reaches the
    /// reader's other devices, so their unread counts clear.
    public func acknowledge(_ receipt: ReceiptRequest, from caller: Caller) async throws -> ReceiptAck {
        try requireIdentifier(receipt.conversationId, named: "conversationId")
        if receipt.seq < 0 { throw ChatError.badRequest("field 'seq' must not be negative") }
        _ = try await requireMembership(caller, in: receipt.conversationId)
        let kind: CursorKind = receipt.status == .read ? .read : .delivered
        let advance = try await store.advanceCursor(
            conversationId: receipt.conversationId, userId: caller.userId, kind: kind, to: receipt.seq)
        if advance.moved {
            let type = kind == .read ? NotificationType.readReceipt : NotificationType.deliveryReceipt
            let notice = NotificationPayload(
                notificationType: type, actionType: "none",
                actionData: .object([
                    "conversationId": .string(receipt.conversationId),
                    "userId": .string(caller.userId),
                    "seq": .number(Double(advance.seq)),
                ]),
                priority: "low")
            var recipients = try await store.memberIds(conversationId: receipt.conversationId)
            if kind == .delivered { recipients.removeAll { $0 == caller.userId } }
            await deliver(frames.notification(notice), to: recipients, except: caller.sessionId)
        }
        return ReceiptAck(status: receipt.status, conversationId: receipt.conversationId, seq: advance.seq)
    }
}
