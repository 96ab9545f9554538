import ParleyStore
import Testing

@Suite("Store: messages")
struct MessageStoreTests {
    @Test(arguments: Engine.allCases)
    func aPrivateSendAcrossABlockIsRefusedAndStoresNothing(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            var send = Fixture.message(from: "1", to: "2", localId: "a")
            send.refuseIfBlocked = true
            #expect(try await store.appendMessage(send).message.seq == 1, "no block: stored")
            #expect(try await store.setBlock(userId: "2", targetId: "1", blocked: true, at: 5))
            var next = Fixture.message(from: "1", to: "2", localId: "b")
            next.refuseIfBlocked = true
            await #expect(throws: StoreError.blocked(by: ["2"])) { try await store.appendMessage(next) }
            #expect(try await store.setBlock(userId: "1", targetId: "2", blocked: true, at: 6))
            await #expect(throws: StoreError.blocked(by: ["1", "2"])) { try await store.appendMessage(next) }
            let page = try await store.messages(conversationId: "p_1_2", page: .after(0, limit: 10))
            #expect(page.messages.map(\.localId) == ["a"], "the refused send took no seq and left no row")
            next.refuseIfBlocked = false
            #expect(try await store.appendMessage(next).message.seq == 2, "a caller that checked itself is not refused")
        }
    }

    @Test(arguments: Engine.allCases)
    func privateMessagesGetGaplessSeqsAndDedupe(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let first = try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "a"))
            #expect(!first.duplicate && first.message.seq == 1 && first.message.conversationId == "p_1_2")
            let second = try await store.appendMessage(Fixture.message(from: "2", to: "1", localId: "a"))
            #expect(second.message.seq == 2, "the same localId from another sender is another message")
            var retry = Fixture.message(from: "1", to: "2", localId: "a")
            retry.messageId = "another-id"
            retry.content = #"{"text":"changed"}"#
            let again = try await store.appendMessage(retry)
            #expect(again.duplicate && again.message == first.message, "a retry returns the original, unchanged")

            #expect(try await store.conversation(id: "p_1_2")?.lastSeq == 2)
            #expect(Set(try await store.memberIds(conversationId: "p_1_2")) == ["1", "2"])
            // The sender has read their own message.
            #expect(try await store.membership(conversationId: "p_1_2", userId: "2")?.readSeq == 2)
            #expect(try await store.membership(conversationId: "p_1_2", userId: "1")?.readSeq == 1)
            #expect(try await store.message(id: first.message.messageId) == first.message)
            #expect(try await store.message(id: "missing") == nil)
        }
    }

    @Test(arguments: Engine.allCases)
    func appendingToAMissingConversationFails(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            await #expect(throws: StoreError.self) {
                _ = try await subject.store.appendMessage(Fixture.groupMessage("nope", from: "1", localId: "x"))
            }
            // The failed write did not hurt the next one.
            #expect(try await subject.store.appendMessage(Fixture.message(from: "1", to: "2", localId: "y")).message.seq == 1)
        }
    }

    @Test(arguments: Engine.allCases)
    func historyPagesBothWaysAndSendersInRange(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            for index in 1...7 {
                _ = try await store.appendMessage(Fixture.message(from: index % 2 == 0 ? "2" : "1", to: index % 2 == 0 ? "1" : "2", localId: "l\(index)"))
            }
            let after = try await store.messages(conversationId: "p_1_2", page: .after(2, limit: 3))
            #expect(after.messages.map(\.seq) == [3, 4, 5] && after.hasMore)
            let tail = try await store.messages(conversationId: "p_1_2", page: .after(5, limit: 3))
            #expect(tail.messages.map(\.seq) == [6, 7] && !tail.hasMore)
            let newest = try await store.messages(conversationId: "p_1_2", page: .before(nil, limit: 2))
            #expect(newest.messages.map(\.seq) == [6, 7] && newest.hasMore)
            let before = try await store.messages(conversationId: "p_1_2", page: .before(3, limit: 5))
            #expect(before.messages.map(\.seq) == [1, 2] && !before.hasMore)
            #expect(Set(try await store.senders(conversationId: "p_1_2", after: 0, upTo: 7)) == ["1", "2"])
            #expect(try await store.senders(conversationId: "p_1_2", after: 1, upTo: 2) == ["2"])
        }
    }

    @Test(arguments: Engine.allCases)
    func recallRemovesContentAndAppendsAnEventOnce(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let sent = try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "a")).message
            let recall = NewRecall(conversationId: "p_1_2", messageId: sent.messageId, eventId: "ev1", recalledBy: "1", createdAt: 9_000)
            let outcome = try await store.recallMessage(recall)
            #expect(!outcome.duplicate && outcome.original.recalled && outcome.original.content == nil)
            #expect(outcome.event.seq == 2 && outcome.event.contentType == "recall" && outcome.event.isEvent)
            let again = try await store.recallMessage(NewRecall(conversationId: "p_1_2", messageId: sent.messageId, eventId: "ev2", recalledBy: "1", createdAt: 9_500))
            #expect(again.duplicate && again.event.messageId == "ev1")
            let page = try await store.messages(conversationId: "p_1_2", page: .after(0, limit: 10))
            #expect(page.messages.map(\.seq) == [1, 2] && page.messages[0].recalled && page.messages[0].content == nil)
            await #expect(throws: StoreError.self) {
                _ = try await store.recallMessage(NewRecall(conversationId: "p_1_2", messageId: "nope", eventId: "ev3", recalledBy: "1", createdAt: 1))
            }
        }
    }
}
