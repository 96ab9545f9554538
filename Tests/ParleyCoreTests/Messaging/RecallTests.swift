import ParleyCore
import ParleyProtocol
import Testing

@Suite("Recall")
struct RecallTests {
    @Test func theSenderRecallsWithinTheWindow() async throws {
        let bed = try TestBed()
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        let sent = try await bed.chat.send(bed.text("oops", to: bob.userId), from: alice)
        bed.clock.advance(ms: bed.chat.limits.recallWindowMs)
        let ack = try await bed.chat.recall(RecallRequest(conversationId: sent.conversationId, messageId: sent.messageId), by: alice)
        #expect(ack.seq == sent.seq + 1)

        let history = try await bed.chat.history(HistoryRequest(conversationId: sent.conversationId, afterSeq: 0), for: bob)
        #expect(history.messages.map(\.seq) == [1, 2])
        #expect(history.messages[0].recalled && history.messages[0].content == nil)
        #expect(history.messages[1].contentType == "recall")
        #expect(history.messages[1].content == .object(["messageId": .string(sent.messageId)]))
        #expect(bed.bus.frames("notification", notification: "message_recalled").count == 1)

        let again = try await bed.chat.recall(RecallRequest(conversationId: sent.conversationId, messageId: sent.messageId), by: alice)
        #expect(again == ack)
        #expect(bed.bus.frames("notification", notification: "message_recalled").count == 1)
    }

    @Test func theWindowCloses() async throws {
        let bed = try TestBed()
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        let sent = try await bed.chat.send(bed.text("old", to: bob.userId), from: alice)
        bed.clock.advance(ms: bed.chat.limits.recallWindowMs + 1)
        await #expect(throws: ChatError.self) {
            try await bed.chat.recall(RecallRequest(conversationId: sent.conversationId, messageId: sent.messageId), by: alice)
        }
    }

    @Test func onlyTheSenderRecalls() async throws {
        let bed = try TestBed()
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        let sent = try await bed.chat.send(bed.text("mine", to: bob.userId), from: alice)
        do {
            _ = try await bed.chat.recall(RecallRequest(conversationId: sent.conversationId, messageId: sent.messageId), by: bob)
            Issue.record("the receiver recalled the sender's message")
        } catch let error as ChatError {
            #expect(error.code == .forbidden)
        }
    }
}
