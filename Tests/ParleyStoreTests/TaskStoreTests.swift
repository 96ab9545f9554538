import ParleyStore
import Testing

@Suite("Store: the durable task queue")
struct TaskStoreTests {
    static func task(_ id: String, due: Int64, created: Int64 = 1) -> TaskRecord {
        TaskRecord(id: id, kind: "webhook.event", payload: #"{"n":"\#(id)"}"#, runAt: due, createdAt: created)
    }

    @Test(arguments: Engine.allCases)
    func dueTasksAreClaimedOnceLeasedRetriedAndBuried(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            try await store.enqueueTask(Self.task("a", due: 100, created: 1))
            try await store.enqueueTask(Self.task("b", due: 100, created: 2))
            try await store.enqueueTask(Self.task("later", due: 500, created: 3))
            try await store.enqueueTask(Self.task("a", due: 1))  // the same id again: ignored
            #expect(try await store.claimTasks(now: 99, leaseUntil: 200, limit: 10).isEmpty, "nothing due yet")

            let claimed = try await store.claimTasks(now: 100, leaseUntil: 200, limit: 10)
            #expect(claimed.map(\.id) == ["a", "b"])
            #expect(claimed.allSatisfy { $0.attempts == 1 && $0.runAt == 200 && $0.kind == "webhook.event" })
            #expect(claimed.first?.payload == #"{"n":"a"}"#)
            #expect(try await store.claimTasks(now: 150, leaseUntil: 300, limit: 10).isEmpty, "claimed tasks are leased")

            try await store.completeTask(id: "a")
            try await store.retryTask(id: "b", runAt: 250, error: "HTTP 503")
            // The lease of a worker that died lapses: the task is due again.
            let again = try await store.claimTasks(now: 600, leaseUntil: 700, limit: 10)
            #expect(again.map(\.id) == ["b", "later"])
            let b = try #require(again.first)
            #expect(b.attempts == 2 && b.lastError == "HTTP 503")

            try await store.buryTask(id: "b", at: 650, error: "HTTP 500")
            try await store.buryTask(id: "later", at: 660, error: "gone")
            #expect(try await store.claimTasks(now: 10_000, leaseUntil: 10_100, limit: 10).isEmpty, "dead tasks never run")
            let dead = try await store.deadTasks(limit: 10)
            #expect(dead.map(\.id) == ["later", "b"])
            #expect(dead.last?.deadAt == 650 && dead.last?.lastError == "HTTP 500" && dead.last?.attempts == 2)
            #expect(try await store.deadTasks(limit: 1).map(\.id) == ["later"])
        }
    }

    @Test(arguments: Engine.allCases)
    func concurrentClaimersNeverShareATask(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            for index in 0..<60 { try await store.enqueueTask(Self.task("t\(index)", due: 1)) }
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<6 {
                    group.addTask { try await store.claimTasks(now: 10, leaseUntil: 1_000, limit: 15).map(\.id) }
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(claims.count == 60 && Set(claims).count == 60)
        }
    }
}

@Suite("Store: settings shared by every node")
struct SharedSettingStoreTests {
    @Test(arguments: Engine.allCases)
    func theFirstProposalWinsForEveryone(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<8 { group.addTask { try await store.sharedSetting("jwt-secret", proposed: "proposal-\(index)") } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(answers).count == 1 && answers[0].hasPrefix("proposal-"), "\(answers)")
            #expect(try await store.sharedSetting("jwt-secret", proposed: "later") == answers[0])
            #expect(try await store.sharedSetting("other", proposed: "x") == "x")
        }
    }

    @Test(arguments: Engine.allCases)
    func aMessagesTasksCommitWithItAndARetryAddsNone(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            for id in ["1", "2"] { try await store.createUser(Fixture.user(id)) }
            var message = Fixture.message(from: "1", to: "2", localId: "with-push")
            message.tasks = [TaskRecord(id: "push-m", kind: "push.message", payload: "{}", runAt: 10, createdAt: 10)]
            let first = try await store.appendMessage(message)
            #expect(!first.duplicate)
            message.tasks = [TaskRecord(id: "push-other", kind: "push.message", payload: "{}", runAt: 10, createdAt: 10)]
            #expect(try await store.appendMessage(message).duplicate)
            let claimed = try await store.claimTasks(now: 10, leaseUntil: 100, limit: 10)
            #expect(claimed.map(\.id) == ["push-m"], "the retry stored no task")
            // Leases are extended only while still held: a retried task keeps its own time.
            try await store.enqueueTask(TaskStoreTests.task("x", due: 10))
            _ = try await store.claimTasks(now: 10, leaseUntil: 100, limit: 10)
            try await store.retryTask(id: "x", runAt: 50, error: "503")
            try await store.extendTaskLeases(ids: ["push-m", "x"], from: 100, to: 300)
            #expect(try await store.claimTasks(now: 60, leaseUntil: 400, limit: 10).map(\.id) == ["x"])
            #expect(try await store.claimTasks(now: 299, leaseUntil: 400, limit: 10).isEmpty, "push-m's lease was extended")
            #expect(try await store.claimTasks(now: 300, leaseUntil: 400, limit: 10).map(\.id) == ["push-m"])
        }
    }
}
