import ParleyCore
import ParleyProtocol
import ParleyStore
import Testing

@Suite("Sending")
struct SendTests {
    @Test func assignsGaplessSeqsUnderConcurrentSends() async throws {
        let bed = try TestBed()
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        let acks = try await withThrowingTaskGroup(of: SendAck.self) { group in
            for index in 0..<200 {
                let (from, to) = index.isMultiple(of: 2) ? (alice, bob) : (bob, alice)
                group.addTask { try await bed.chat.send(bed.text("n\(index)", to: to.userId), from: from) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(acks.map(\.seq).sorted() == Array(1...200))
        #expect(Set(acks.map(\.conversationId)).count == 1)
        #expect(Set(acks.map(\.messageId)).count == 200)
    }

    @Test func aRetryReturnsTheOriginalAndDeliversNothing() async throws {
        let bed = try TestBed()
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        let first = try await bed.chat.send(bed.text("hi", to: bob.userId, localId: "L1"), from: alice)
        let retry = try await bed.chat.send(bed.text("changed", to: bob.userId, localId: "L1"), from: alice)
        #expect(retry == first)
        #expect(bed.bus.frames("message").count == 1)
        let page = try await bed.store.messages(conversationId: first.conversationId, page: .after(0, limit: 10))
        #expect(page.messages.count == 1)
    }

    @Test func deliversToBothUsersButNotTheSendingSession() async throws {
        let bed = try TestBed()
        let alice = try await bed.user("alice", session: "alice-phone"), bob = try await bed.user("bob")
        let ack = try await bed.chat.send(bed.text("hi", to: bob.userId), from: alice)
        let messages = bed.bus.frames("message")
        try #require(messages.count == 1)
        let (delivery, frame) = messages[0]
        #expect(Set(delivery.recipients) == [alice.userId, bob.userId])
        #expect(delivery.excludedSession == "alice-phone")
        #expect(frame["messageId"] as? String == ack.messageId)
        #expect(ack.conversationId == ConversationID.privateChat(bob.userId, alice.userId))
    }

    @Test func validatesTheMessage() async throws {
        let bed = try TestBed()
        let alice = try await bed.user("alice"), bob = try await bed.user("bob")
        await #expect(throws: ChatError.self) { try await bed.chat.send(bed.text("  ", to: bob.userId), from: alice) }
        await #expect(throws: ChatError.self) { try await bed.chat.send(bed.text("x", to: alice.userId), from: alice) }
        await #expect(throws: ChatError.notFound("user '404' not found")) {
            try await bed.chat.send(bed.text("x", to: "404"), from: alice)
        }
        let long = String(repeating: "字", count: bed.chat.limits.maxTextLength + 1)
        do {
            _ = try await bed.chat.send(bed.text(long, to: bob.userId), from: alice)
            Issue.record("a too long text was accepted")
        } catch let error as ChatError {
            #expect(error.code == .tooLarge)
        }
        var sticker = bed.text("x", to: bob.userId)
        sticker.contentType = "hologram"
        await #expect(throws: ChatError.self) { try await bed.chat.send(sticker, from: alice) }
        #expect(bed.bus.deliveries.isEmpty)
    }

    @Test func aStrangerCannotWriteIntoAPrivateConversation() async throws {
        let bed = try TestBed()
        let alice = try await bed.user("alice"), bob = try await bed.user("bob"), eve = try await bed.user("eve")
        let ack = try await bed.chat.send(bed.text("hi", to: bob.userId), from: alice)
        var intrusion = bed.text("me too", to: bob.userId)
        intrusion.receiverId = nil
        intrusion.conversationId = ack.conversationId
        do {
            _ = try await bed.chat.send(intrusion, from: eve)
            Issue.record("a stranger wrote into a private conversation")
        } catch let error as ChatError {
            #expect(error.code == .forbidden)
        }
    }
}
