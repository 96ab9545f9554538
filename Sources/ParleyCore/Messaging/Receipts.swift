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
            let recipients = try await receiptRecipients(receipt.conversationId, kind: kind, advance: advance, caller: caller)
            await deliver(frames.notification(notice), to: recipients, except: caller.sessionId)
        }
        return ReceiptAck(status: receipt.status, conversationId: receipt.conversationId, seq: advance.seq)
    }

    /// Who hears of a receipt. In a private chat: the other user (and, for `read`, the reader's
    /// other devices). In a group, telling every member of every receipt would flood large
    /// groups: only the senders of the messages the receipt covers hear of it.
    private func receiptRecipients(_ conversationId: String, kind: CursorKind, advance: CursorAdvance, caller: Caller) async throws -> [String] {
        var recipients: [String]
        if ConversationID.type(of: conversationId) == .group {
            recipients = try await store.senders(conversationId: conversationId, after: advance.previous, upTo: advance.seq)
            recipients.removeAll { $0 == caller.userId }
            if kind == .read { recipients.append(caller.userId) }
        } else {
            recipients = try await memberIds(of: conversationId)
            if kind == .delivered { recipients.removeAll { $0 == caller.userId } }
        }
        return recipients
    }
}
