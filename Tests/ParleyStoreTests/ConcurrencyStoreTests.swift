import ParleyStore
import Testing

@Suite("Store: concurrent writers")
struct ConcurrencyStoreTests {
    /// 50 senders write into one conversation at once: every message gets its own seq, the
    /// seqs have no gap, and concurrent writes share transactions (group commit).
    @Test(arguments: Engine.allCases)
    func fiftyConcurrentSendersGetGaplessSeqs(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let senders = (1...50).map { "u\($0)" }
            _ = try await store.createGroup(Fixture.group("hot", owner: "u1"), memberIds: senders, notices: [])
            let before = await subject.transactions()
            let perSender = 10
            let outcomes = try await withThrowingTaskGroup(of: AppendOutcome.self) { group in
                for sender in senders {
                    group.addTask {
                        var last: AppendOutcome?
                        for index in 0..<perSender {
                            last = try await store.appendMessage(Fixture.groupMessage("hot", from: sender, localId: "m\(index)"))
                        }
                        return last!
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.count == senders.count)
            let total = senders.count * perSender
            let page = try await store.messages(conversationId: "g_hot", page: .after(0, limit: total + 10))
            #expect(page.messages.map(\.seq) == (1...Int64(total)).map { $0 }, "gapless, each once")
            #expect(Set(page.messages.map(\.messageId)).count == total)
            #expect(try await store.conversation(id: "g_hot")?.lastSeq == Int64(total))
            // Each sender's own messages keep their order.
            for sender in senders {
                let mine = page.messages.filter { $0.senderId == sender }.map(\.localId)
                #expect(mine == (0..<perSender).map { "m\($0)" })
            }
            let transactions = await subject.transactions() - before
            #expect(transactions < total, "\(transactions) transactions for \(total) writes")
        }
    }

    /// The same send retried concurrently is stored once.
    @Test(arguments: Engine.allCases)
    func concurrentRetriesStoreOneMessage(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let outcomes = try await withThrowingTaskGroup(of: AppendOutcome.self) { group in
                for attempt in 0..<20 {
                    group.addTask {
                        var message = Fixture.message(from: "1", to: "2", localId: "same")
                        message.messageId = "attempt-\(attempt)"
                        return try await store.appendMessage(message)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(Set(outcomes.map(\.message.messageId)).count == 1)
            #expect(outcomes.filter { !$0.duplicate }.count == 1)
            #expect(try await store.conversation(id: "p_1_2")?.lastSeq == 1)
        }
    }
}
