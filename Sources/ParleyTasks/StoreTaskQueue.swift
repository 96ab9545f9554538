import Logging
import ParleyStore
import Synchronization

/// The work queue of a node without NATS: a table in the store, polled by the workers. A
/// claimed task is leased, and the lease renewed while its run goes on; if its worker dies the
/// lease lapses (within `lease`) and the task runs again.
/// With PostgreSQL, several nodes may share the table (claims skip each other's rows).
public final class StoreTaskQueue: TaskQueue {
    private let store: any Store
    private let policy: RetryPolicy
    private let lease: Duration
    private let pollInterval: Duration
    private let batch: Int
    private let logger: Logger
    private let now: @Sendable () -> Int64
    private let tally = Mutex(TaskCounts())
    private let wakeup = Wakeup()

    /// - Parameters:
    ///   - lease: how long a claimed task is not handed out again unless renewed (every third of it while it runs).
    ///   - batch: tasks claimed, and run concurrently, at once.
    public init(
        store: any Store, policy: RetryPolicy = RetryPolicy(), lease: Duration = .seconds(30), pollInterval: Duration = .seconds(1),
        batch: Int = 16, logger: Logger, now: @escaping @Sendable () -> Int64 = wallMilliseconds
    ) {
        self.store = store
        self.policy = policy
        self.lease = lease
        self.pollInterval = pollInterval
        self.batch = batch
        self.logger = logger
        self.now = now
    }

    public var counts: TaskCounts { tally.withLock { $0 } }

    public func enqueue(_ task: WorkTask) async throws {
        try await enqueue(contentsOf: [task])
    }

    public func enqueue(contentsOf tasks: [WorkTask]) async throws {
        let time = now()
        try await store.enqueueTasks(tasks.map {
            TaskRecord(id: $0.id, kind: $0.kind, payload: $0.payload, runAt: max(time, $0.notBefore ?? time), createdAt: time)
        })
        tally.withLock { $0.enqueued += tasks.count }
        wakeup.signal()
    }

    public func work(_ perform: @escaping @Sendable (WorkTask) async -> TaskOutcome) async {
        while !Task.isCancelled {
            let time = now()
            let claimed: [TaskRecord]
            do {
                claimed = try await store.claimTasks(now: time, leaseUntil: time + lease.milliseconds, limit: batch)
            } catch {
                logger.warning("tasks not claimed", metadata: ["error": "\(error)"])
                claimed = []
            }
            if claimed.isEmpty {
                await wakeup.wait(atMost: pollInterval)
                continue
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.renew(claimed.map(\.id), heldUntil: time + self.lease.milliseconds) }
                await withTaskGroup(of: Void.self) { runs in
                    for record in claimed {
                        runs.addTask { await self.run(record, perform) }
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// Keeps the claim of running tasks alive until cancelled (their runs are over): a long
    /// run is not handed to another worker, and a dead worker's tasks come back within a lease.
    private func renew(_ ids: [String], heldUntil first: Int64) async {
        var held = first
        while !Task.isCancelled {
            try? await Task.sleep(for: lease / 3)
            if Task.isCancelled { return }
            let next = now() + lease.milliseconds
            do {
                try await store.extendTaskLeases(ids: ids, from: held, to: next)
                held = next
            } catch {
                logger.warning("task leases not renewed", metadata: ["error": "\(error)"])
            }
        }
    }

    private func run(_ record: TaskRecord, _ perform: @Sendable (WorkTask) async -> TaskOutcome) async {
        let outcome = await perform(WorkTask(id: record.id, kind: record.kind, payload: record.payload, attempt: record.attempts))
        do {
            switch outcome {
            case .done:
                try await store.completeTask(id: record.id)
                tally.withLock { $0.completed += 1 }
            case .failed(let error) where record.attempts < policy.maxAttempts:
                try await store.retryTask(id: record.id, runAt: now() + policy.delay(after: record.attempts).milliseconds, error: error)
                tally.withLock { $0.retried += 1 }
            case .retry(let error, let delay) where record.attempts < policy.maxAttempts:
                try await store.retryTask(id: record.id, runAt: now() + max(delay.milliseconds, 0), error: error)
                tally.withLock { $0.retried += 1 }
            case .failed(let error), .rejected(let error), .retry(let error, _):
                try await store.buryTask(id: record.id, at: now(), error: error)
                tally.withLock { $0.dead += 1 }
                logger.warning("task dead-lettered", metadata: ["task": "\(record.id)", "kind": "\(record.kind)", "attempts": "\(record.attempts)", "error": "\(error)"])
            }
        } catch {
            // The lease lapses and the task runs again: at least once, never lost.
            logger.warning("task outcome not stored", metadata: ["task": "\(record.id)", "error": "\(error)"])
        }
    }

    /// Tasks a caller stored itself, in its own transaction (a message's push, with the
    /// message): counted, and the workers woken for them.
    public func stored(_ count: Int) {
        tally.withLock { $0.enqueued += count }
        wakeup.signal()
    }

    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        try await store.deadTasks(limit: limit).map {
            DeadLetter(id: $0.id, kind: $0.kind, payload: $0.payload, attempts: $0.attempts, error: $0.lastError ?? "", deadAt: $0.deadAt ?? 0)
        }
    }
}

/// Wakes a waiting worker early when a task is posted, so a new task does not wait out the poll.
final class Wakeup: Sendable {
    private let waiter = Mutex<(continuation: CheckedContinuation<Void, Never>?, pending: Bool)>((nil, false))

    func signal() {
        let continuation = waiter.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let continuation = state.continuation else {
                state.pending = true
                return nil
            }
            state.continuation = nil
            return continuation
        }
        continuation?.resume()
    }

    /// Returns at a signal (or at once if one came since the last wait), or after `limit`.
    func wait(atMost limit: Duration) async {
        let timer = Task {
            try await Task.sleep(for: limit)
            self.signal()
        }
        defer { timer.cancel() }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let resumeNow = waiter.withLock { state -> Bool in
                if state.pending {
                    state.pending = false
                    return true
                }
                state.continuation = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }
}
