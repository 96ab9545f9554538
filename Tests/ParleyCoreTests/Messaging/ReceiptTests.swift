import ParleyCore
import ParleyProtocol
import Testing

@Suite("Receipts and unread counts")
struct ReceiptTests {
    @Test func readCursorsAreCumulativeMonotonicAndClamped() async throws {
        let bed = try TestBed()
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        var last = SendAck(localId: "", messageId: "", conversationId: "", seq: 0, timestamp: 0)
        for index in 0..<5 { last = try await bed.chat.send(bed.text("m\(index)", to: bob.userId), from: alice) }
        let cid = last.conversationId

        #expect(try await bed.chat.conversations(for: bob).first?.unread == 5)
        #expect(try await bed.chat.acknowledge(ReceiptRequest(conversationId: cid, seq: 3, status: .read), from: bob).seq == 3)
        #expect(try await bed.chat.conversations(for: bob).first?.unread == 2)
        #expect(try await bed.chat.acknowledge(ReceiptRequest(conversationId: cid, seq: 1, status: .read), from: bob).seq == 3)
        #expect(try await bed.chat.acknowledge(ReceiptRequest(conversationId: cid, seq: 50, status: .read), from: bob).seq == 5)
        let state = try #require(try await bed.chat.conversations(for: bob).first)
        #expect(state.unread == 0 && state.readSeq == 5 && state.deliveredSeq == 5)
        // Two moves, two receipts; the no-op in between told nobody.
        #expect(bed.bus.frames("notification", notification: "read_receipt").count == 2)
        // The sender never has unread messages of their own.
        #expect(try await bed.chat.conversations(for: alice).first?.unread == 0)
    }

    @Test func deliveredReceiptsGoToTheOtherSideOnly() async throws {
        let bed = try TestBed()
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        let sent = try await bed.chat.send(bed.text("hi", to: bob.userId), from: alice)
        _ = try await bed.chat.acknowledge(ReceiptRequest(conversationId: sent.conversationId, seq: 1, status: .delivered), from: bob)
        let receipts = bed.bus.frames("notification", notification: "delivery_receipt")
        try #require(receipts.count == 1)
        let (delivery, frame) = receipts[0]
        #expect(delivery.recipients == [alice.userId])
        let action = (frame["data"] as? [String: Any])?["actionData"] as? [String: Any]
        #expect(action?["userId"] as? String == bob.userId)
        #expect(action?["seq"] as? Int == 1)
    }
}
