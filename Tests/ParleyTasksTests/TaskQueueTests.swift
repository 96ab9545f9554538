import Foundation
import Logging
import NATSServerFixture
import NIOCore
import ParleyNATS
import ParleySQLite
import ParleyStore
import ParleyTasks
import Synchronization
import Testing

/// What a test worker saw: every run, in order, as an event stream to wait on.
final class RunLog: Sendable {
    private let runs = Mutex<[WorkTask]>([])
    let events: AsyncStream<WorkTask>
    private let continuation: AsyncStream<WorkTask>.Continuation

    init() {
        (events, continuation) = AsyncStream.makeStream(of: WorkTask.self)
    }

    func record(_ task: WorkTask) {
        runs.withLock { $0.append(task) }
        continuation.yield(task)
    }

    var all: [WorkTask] { runs.withLock { $0 } }

    /// Waits until `condition` holds over the runs so far, or fails after `limit`.
    func wait(for limit: Duration = .seconds(20), until condition: @escaping @Sendable ([WorkTask]) -> Bool) async throws {
        if condition(all) { return }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in self.events where condition(self.all) { return true }
                return false
            }
            group.addTask {
                try await Task.sleep(for: limit)
                return false
            }
            let met = try await group.next() ?? false
            group.cancelAll()
            #expect(met, "condition not met within \(limit); runs: \(self.all.map { "\($0.id)#\($0.attempt)" })")
        }
    }
}

/// The behaviour both queues share: retries with backoff, dead letters after the last attempt.
func flakyWorker(_ log: RunLog) -> @Sendable (WorkTask) async -> TaskOutcome {
    { task in
        log.record(task)
        switch task.id {
        case "flaky": return task.attempt < 3 ? .failed("HTTP 503") : .done
        case "bad": return .failed("HTTP 500 at attempt \(task.attempt)")
        case "unknown": return .rejected("unknown task kind")
        default: return .done
        }
    }
}

func quietLogger() -> Logger {
    var logger = Logger(label: "tasks-test")
    logger.logLevel = .critical
    return logger
}

@Suite("Work queues: the store's table and JetStream", .serialized)
struct TaskQueueTests {
    static let policy = RetryPolicy(maxAttempts: 3, backoff: [.milliseconds(100), .milliseconds(200)])

    private func sqliteStore() throws -> (SQLiteStore, String) {
        let directory = NSTemporaryDirectory() + "parley-tasks-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return (try SQLiteStore(path: directory + "/parley.sqlite", durability: .normal), directory)
    }

    @Test func theStoreQueueRetriesAndDeadLetters() async throws {
        let (store, directory) = try sqliteStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let queue = StoreTaskQueue(store: store, policy: Self.policy, pollInterval: .milliseconds(50), logger: quietLogger())
        for id in ["ok", "flaky", "bad", "unknown"] {
            try await queue.enqueue(WorkTask(id: id, kind: "webhook.event", payload: #"{"id":"\#(id)"}"#))
        }
        try await queue.enqueue(WorkTask(id: "ok", kind: "webhook.event", payload: "{}"))  // posted twice while queued: once
        let log = RunLog()
        let worker = Task { await queue.work(flakyWorker(log)) }
        defer { worker.cancel() }
        try await log.wait { runs in
            runs.filter { $0.id == "flaky" }.count == 3 && runs.filter { $0.id == "bad" }.count == 3
        }
        let dead = try await deadLettersEventually(queue, count: 2)
        #expect(Set(dead.map(\.id)) == ["bad", "unknown"])
        let bad = try #require(dead.first { $0.id == "bad" })
        #expect(bad.attempts == 3 && bad.error == "HTTP 500 at attempt 3" && bad.payload == #"{"id":"bad"}"#)
        #expect(log.all.filter { $0.id == "ok" }.count == 1)
        #expect(log.all.filter { $0.id == "flaky" }.map(\.attempt) == [1, 2, 3])
        #expect(log.all.filter { $0.id == "unknown" }.count == 1, "a rejected task is not retried")
        // Outcomes are counted once stored, just after the runs the log saw.
        let deadline = ContinuousClock.now + .seconds(10)
        while queue.counts.completed < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(queue.counts.completed == 2 && queue.counts.dead == 2)
    }

    /// A worker that dies mid-run (here: its run never returns and its queue stops renewing)
    /// lets its lease lapse; another node's worker runs the task.
    @Test func aClaimWhoseWorkerDiedLapses() async throws {
        let (store, directory) = try sqliteStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let stuck = StoreTaskQueue(store: store, lease: .milliseconds(300), pollInterval: .milliseconds(50), logger: quietLogger())
        let healthy = StoreTaskQueue(store: store, lease: .milliseconds(300), pollInterval: .milliseconds(50), logger: quietLogger())
        let log = RunLog()
        let hang = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let hanging = Task { await stuck.work { task in
            log.record(task)
            // Deaf to cancellation, as a dead process is: only the test ends it.
            await withCheckedContinuation { continuation in hang.withLock { $0 = continuation } }
            return .failed("ended by the test")
        } }
        try await stuck.enqueue(WorkTask(id: "t1", kind: "webhook.event", payload: "{}"))
        try await log.wait { $0.count == 1 }
        hanging.cancel()  // the node is gone: nothing renews its claim
        let second = Task { await healthy.work { task in
            log.record(task)
            return .done
        } }
        defer { second.cancel() }
        try await log.wait { $0.count == 2 }
        #expect(log.all.map(\.attempt) == [1, 2])
        #expect(try await store.claimTasks(now: Int64(Date().timeIntervalSince1970 * 1000) + 10_000, leaseUntil: 0, limit: 5).isEmpty, "done and removed")
        while hang.withLock({ $0 == nil }) { try await Task.sleep(for: .milliseconds(10)) }
        hang.withLock { $0?.resume() }
    }

    /// A run longer than the lease keeps its claim while its worker lives: no second run.
    @Test func aLongRunKeepsItsClaim() async throws {
        let (store, directory) = try sqliteStore()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let slow = StoreTaskQueue(store: store, lease: .milliseconds(300), pollInterval: .milliseconds(50), logger: quietLogger())
        let other = StoreTaskQueue(store: store, lease: .milliseconds(300), pollInterval: .milliseconds(50), logger: quietLogger())
        let log = RunLog()
        let first = Task { await slow.work { task in
            log.record(task)
            try? await Task.sleep(for: .milliseconds(1_200))  // four leases
            return .done
        } }
        defer { first.cancel() }
        let second = Task { await other.work { task in
            log.record(task)
            return .done
        } }
        defer { second.cancel() }
        try await slow.enqueue(WorkTask(id: "long", kind: "webhook.event", payload: "{}"))
        try await log.wait { $0.count == 1 }
        // The run ends by itself; the other worker polled about 24 times meanwhile.
        let deadline = ContinuousClock.now + .seconds(10)
        while slow.counts.completed < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(slow.counts.completed == 1)
        #expect(log.all.map(\.id) == ["long"], "the claim was renewed, so nobody else ran it")
    }

    @Test func theJetStreamQueueRetriesAndDeadLettersAcrossNodes() async throws {
        let server = try NATSServerProcess()
        defer { server.remove() }
        try await server.ready()
        let (one, two) = (try await jetStream(server), try await jetStream(server))
        let first = JetStreamTaskQueue(jetStream: one, policy: Self.policy, ackWait: .seconds(2), concurrency: 2, logger: quietLogger())
        let other = JetStreamTaskQueue(jetStream: two, policy: Self.policy, ackWait: .seconds(2), concurrency: 2, logger: quietLogger())
        try await first.start()
        try await other.start()
        for id in ["ok", "flaky", "bad", "unknown"] {
            try await first.enqueue(WorkTask(id: id, kind: "webhook.event", payload: #"{"id":"\#(id)"}"#))
        }
        try await first.enqueue(WorkTask(id: "ok", kind: "webhook.event", payload: "{}"))  // posted twice, stored once
        // Posted by one node, run by whichever node's worker is free (here: the other's only).
        let log = RunLog()
        let worker = Task { await other.work(flakyWorker(log)) }
        defer { worker.cancel() }
        try await log.wait { runs in
            runs.filter { $0.id == "flaky" }.count == 3 && runs.filter { $0.id == "bad" }.count == 3
        }
        let dead = try await deadLettersEventually(first, count: 2)
        #expect(Set(dead.map(\.id)) == ["bad", "unknown"])
        let bad = try #require(dead.first { $0.id == "bad" })
        #expect(bad.kind == "webhook.event" && bad.attempts == 3 && bad.error == "HTTP 500 at attempt 3" && bad.payload == #"{"id":"bad"}"#)
        #expect(bad.deadAt > 1_700_000_000_000)
        #expect(log.all.filter { $0.id == "ok" }.count == 1)
        #expect(log.all.filter { $0.id == "flaky" }.map(\.attempt) == [1, 2, 3])
        await one.client.close()
        await two.client.close()
    }

    /// A run longer than the ack wait tells JetStream it is still working: no second run.
    @Test func aLongJetStreamRunIsNotHandedOutAgain() async throws {
        let server = try NATSServerProcess()
        defer { server.remove() }
        try await server.ready()
        let js = try await jetStream(server)
        // An ack wait of 6 s: progress goes every 2 s. The whole suite on two cores has delayed
        // the progress timer by more than 2.7 s (a 2 s and then a 4 s ack wait each lost the run
        // once in a full run, never alone), so the margin is wide.
        let queue = JetStreamTaskQueue(jetStream: js, policy: RetryPolicy(maxAttempts: 3), ackWait: .seconds(6), concurrency: 3, logger: quietLogger())
        try await queue.start()
        let log = RunLog()
        let worker = Task { await queue.work { task in
            log.record(task)
            try? await Task.sleep(for: .milliseconds(13_000))  // more than two ack waits
            return .done
        } }
        defer { worker.cancel() }
        try await queue.enqueue(WorkTask(id: "long", kind: "push", payload: "{}"))
        try await log.wait { $0.count == 1 }
        let deadline = ContinuousClock.now + .seconds(30)
        while queue.counts.completed < 1, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(queue.counts.completed == 1)
        #expect(log.all.map(\.attempt) == [1], "two idle workers were asking all along")
        await js.client.close()
    }

    /// Workers that never answer: JetStream redelivers after the ack wait, and at the delivery
    /// limit the task is dead-lettered from the max-deliveries advisory.
    @Test func unansweredTasksReachTheDeadLetters() async throws {
        let server = try NATSServerProcess()
        defer { server.remove() }
        try await server.ready()
        let js = try await jetStream(server)
        let queue = JetStreamTaskQueue(
            jetStream: js, policy: RetryPolicy(maxAttempts: 2), ackWait: .seconds(1), concurrency: 3, longestRun: .seconds(1),
            logger: quietLogger())
        try await queue.start()
        try await queue.enqueue(WorkTask(id: "hung", kind: "push", payload: #"{"to":"u1"}"#))
        // Every run hangs past the longest run (progress acks stop); a third worker keeps
        // asking, as other nodes' workers would.
        let log = RunLog()
        let worker = Task { await queue.work { task in
            log.record(task)
            try? await Task.sleep(for: .seconds(3600))
            return .done
        } }
        defer { worker.cancel() }
        try await log.wait { $0.count == 2 }
        #expect(log.all.map(\.attempt) == [1, 2])
        let dead = try await deadLettersEventually(queue, count: 1)
        #expect(dead.first?.id == "hung" && dead.first?.kind == "push" && dead.first?.error == "no answer after 2 deliveries")
        #expect(try await js.streamState(JetStreamTaskQueue.stream).messages == 0, "removed from the work queue")
        await js.client.close()
    }

    /// A NATS server that lost its streams (restarted without its storage): the queue makes
    /// them again when a post finds nobody storing it, and the task still runs.
    @Test func lostStreamsAreMadeAgain() async throws {
        let server = try NATSServerProcess()
        defer { server.remove() }
        try await server.ready()
        let js = try await jetStream(server)
        let queue = JetStreamTaskQueue(jetStream: js, policy: Self.policy, ackWait: .seconds(2), concurrency: 1, logger: quietLogger())
        try await queue.start()
        try await js.deleteStream(JetStreamTaskQueue.stream)
        try await queue.enqueue(WorkTask(id: "after-loss", kind: "webhook.event", payload: "{}"))
        let log = RunLog()
        let worker = Task { await queue.work(flakyWorker(log)) }
        defer { worker.cancel() }
        try await log.wait { $0.map(\.id) == ["after-loss"] }
        await js.client.close()
    }

    private func jetStream(_ server: NATSServerProcess) async throws -> JetStream {
        let client = try NATSClient(url: server.url, logger: quietLogger())
        try await client.connect()
        return JetStream(client: client)
    }
}

/// The queue's dead letters once there are `count` of them (they are written after the run returns).
func deadLettersEventually(_ queue: any TaskQueue, count: Int) async throws -> [DeadLetter] {
    let deadline = ContinuousClock.now + .seconds(20)
    while true {
        let letters = try await queue.deadLetters(limit: 10)
        if letters.count >= count || ContinuousClock.now > deadline {
            #expect(letters.count == count)
            return letters
        }
        try await Task.sleep(for: .milliseconds(50))
    }
}
