import Foundation
import ParleyStore
import Synchronization

/// A thread that owns one SQLite connection and runs jobs on it.
///
/// A writer worker commits every job queued while the previous transaction ran in one
/// transaction (group commit): N concurrent sends cost one fsync, not N. A caller is resumed
/// only after the COMMIT that holds its write succeeded.
final class SQLiteWorker: @unchecked Sendable {
    // @unchecked Sendable: `queue` and `stopped` are only touched under `condition`;
    // the connection is only touched by the worker's own thread.

    /// One unit of work. `run` executes inside the transaction and returns what to do
    /// once the transaction has committed; `fail` reports an error instead.
    struct Job {
        let run: (SQLiteConnection) throws -> () -> Void
        let fail: (any Error) -> Void
    }

    private let condition = NSCondition()
    private var queue: [Job] = []
    private var stopped = false
    private let batchLimit: Int
    private let transactional: Bool
    private let transactions = Atomic<Int>(0)

    /// Transactions run so far (batches, for the writer).
    var transactionCount: Int { transactions.load(ordering: .relaxed) }

    /// - Parameters:
    ///   - transactional: wrap batches in BEGIN IMMEDIATE … COMMIT (the writer).
    ///   - batchLimit: most jobs in one transaction.
    init(name: String, connection: SQLiteConnection, transactional: Bool, batchLimit: Int) {
        self.batchLimit = batchLimit
        self.transactional = transactional
        let box = ConnectionBox(connection)
        // The thread keeps the worker alive until `stop()` lets its loop end.
        let thread = Thread { [self] in self.runLoop(box.connection) }
        thread.name = name
        thread.start()
    }

    /// Runs `body` on the worker's connection and returns its result after commit.
    func perform<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let job = Job(
                run: { connection in
                    let value = try body(connection)
                    return { continuation.resume(returning: value) }
                },
                fail: { continuation.resume(throwing: $0) }
            )
            if !enqueue(job) { continuation.resume(throwing: StoreError.engine("store is closed")) }
        }
    }

    /// Runs `body` like `perform`, blocking the calling thread (never a task's) until commit.
    func performBlocking<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) throws -> T {
        let done = DispatchSemaphore(value: 0)
        let outcome = BlockingOutcome<T>()
        let job = Job(
            run: { connection in
                let value = try body(connection)
                return {
                    outcome.result.withLock { $0 = .success(value) }
                    done.signal()
                }
            },
            fail: { error in
                outcome.result.withLock { $0 = .failure(error) }
                done.signal()
            }
        )
        if !enqueue(job) { throw StoreError.engine("store is closed") }
        done.wait()
        return try outcome.result.withLock { $0! }.get()
    }

    /// Queues a job for the worker thread; false once the worker is stopped.
    private func enqueue(_ job: Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        if stopped { return false }
        queue.append(job)
        condition.signal()
        return true
    }

    /// Finishes the queued jobs, then stops the thread.
    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while queue.isEmpty {
            if stopped { return nil }
            condition.wait()
        }
        let count = min(queue.count, batchLimit)
        let batch = Array(queue.prefix(count))
        queue.removeFirst(count)
        return batch
    }

    private func runLoop(_ connection: SQLiteConnection) {
        while let batch = nextBatch() {
            if transactional {
                runTransaction(batch, on: connection)
            } else {
                for job in batch { runAlone(job, on: connection) }
            }
        }
    }

    /// Runs one job in a transaction of its own: reads (a deferred transaction, so they see one
    /// snapshot), and writes retried alone after their batch failed.
    private func runAlone(_ job: Job, on connection: SQLiteConnection, begin: String = "BEGIN") {
        do {
            try connection.run(begin)
            let complete = try job.run(connection)
            try connection.run("COMMIT")
            complete()
        } catch {
            try? connection.run("ROLLBACK")
            job.fail(error)
        }
    }

    /// Runs a batch of writes in one transaction. Failures are rare (a taken username), so
    /// the batch runs without per-job savepoints; if a job fails, the whole transaction is
    /// rolled back and every job of the batch runs again in a transaction of its own, where
    /// only the failing one fails.
    private func runTransaction(_ batch: [Job], on connection: SQLiteConnection) {
        transactions.add(1, ordering: .relaxed)
        var completions: [() -> Void] = []
        completions.reserveCapacity(batch.count)
        do {
            try connection.run("BEGIN IMMEDIATE")
            for job in batch { completions.append(try job.run(connection)) }
            try connection.run("COMMIT")
        } catch {
            try? connection.run("ROLLBACK")
            guard batch.count > 1 else {
                batch[0].fail(error)
                return
            }
            for job in batch {
                transactions.add(1, ordering: .relaxed)
                runAlone(job, on: connection, begin: "BEGIN IMMEDIATE")
            }
            return
        }
        for complete in completions { complete() }
    }
}

/// Carries a blocking job's result from the worker thread to the waiting one.
private final class BlockingOutcome<T: Sendable>: Sendable {
    let result = Mutex<Result<T, any Error>?>(nil)
}

/// Moves a connection into its worker thread.
private final class ConnectionBox: @unchecked Sendable {
    // @unchecked Sendable: handed over once, before the thread starts, and used only there.
    let connection: SQLiteConnection
    init(_ connection: SQLiteConnection) { self.connection = connection }
}
