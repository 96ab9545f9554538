import NIOCore
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
            let recipients = try await receiptRecipients(receipt.conversationId, kind: kind, advance: advance, caller: caller)
            await deliver(receiptFrame(kind, in: receipt.conversationId, by: caller.userId, upTo: advance.seq), to: recipients, except: caller.sessionId)
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

    /// The `delivery_receipt` or `read_receipt` notification: `userId` has received or read
    /// everything of the conversation up to `seq`.
    func receiptFrame(_ kind: CursorKind, in conversationId: String, by userId: String, upTo seq: Int64) -> ByteBuffer {
        frames.notification(NotificationPayload(
            notificationType: kind == .read ? NotificationType.readReceipt : NotificationType.deliveryReceipt, actionType: "none",
            actionData: .object([
                "conversationId": .string(conversationId), "userId": .string(userId), "seq": .number(Double(seq)),
            ]),
            priority: "low"))
    }

    /// After a send in a private chat: the sender's read cursor moved to their message. When
    /// it passed something the peer wrote, the peer is told as an explicit receipt would tell
    /// them (replying is reading). A run of one's own messages moves it by one each and tells
    /// nobody, so a fast exchange costs no receipt per message.
    func readBySending(_ outcome: AppendOutcome, from caller: Caller, recipients: [String]) async {
        let message = outcome.message
        guard ConversationID.type(of: message.conversationId) == .private, let before = outcome.senderReadBefore,
            before < message.seq - 1
        else { return }
        await deliver(receiptFrame(.read, in: message.conversationId, by: caller.userId, upTo: message.seq), to: recipients, except: caller.sessionId)
    }
}
