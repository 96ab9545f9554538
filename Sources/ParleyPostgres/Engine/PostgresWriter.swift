import Logging
import ParleyStore
import PostgresNIO
import Synchronization

/// What a write runs with: its connection, inside the batch's transaction, and the store-wide
/// version clock (held locked by the transaction, so versions commit in order).
struct WriteContext: Sendable {
    let sql: SQLSession
    private let clock: VersionClock

    init(sql: SQLSession, clock: VersionClock) {
        self.sql = sql
        self.clock = clock
    }

    /// The next version for a change.
    func nextVersion() -> Int64 { clock.next() }
}

final class VersionClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64) { value = Mutex(start) }
    func next() -> Int64 { value.withLock { $0 += 1; return $0 } }
    var current: Int64 { value.withLock { $0 } }
}

/// The node's writer: one connection that commits every write queued while the previous
/// commit ran in one transaction (group commit), like the embedded engine's writer thread.
///
/// Each transaction starts by locking the row of `parley_clock` and ends by storing the last
/// version it took: transactions that take versions therefore commit in version order, on
/// one node or many, and a sync cursor never skips a change. When a batch fails, it is rolled
/// back and each of its writes is retried alone, so one bad write fails only itself.
actor PostgresWriter {
    private final class Job {
        /// A write, or a send: consecutive sends of a batch go to the database in one call.
        enum Work {
            case body(@Sendable (WriteContext) async throws -> any Sendable)
            case append(NewMessage)
        }
        let work: Work
        let continuation: CheckedContinuation<any Sendable, any Error>
        var result: (any Sendable)?

        init(work: Work, continuation: CheckedContinuation<any Sendable, any Error>) {
            self.work = work
            self.continuation = continuation
        }

        var message: NewMessage? {
            if case .append(let message) = work { return message }
            return nil
        }
    }

    /// Stores sends, in order, in the caller's transaction (`parley_append_messages`).
    typealias AppendBatch = @Sendable ([NewMessage], WriteContext) async throws -> [AppendOutcome]
    private let appendBatch: AppendBatch

    private let connect: @Sendable () async throws -> PostgresConnection
    private let logger: Logger
    private let batchLimit: Int
    private var connection: PostgresConnection?
    private var queue: [Job] = []
    private var draining = false
    /// Transactions committed (or attempted); fewer than writes when they are grouped.
    private(set) var transactionCount = 0

    init(
        batchLimit: Int = 512, logger: Logger, appendBatch: @escaping AppendBatch,
        connect: @escaping @Sendable () async throws -> PostgresConnection
    ) {
        self.batchLimit = batchLimit
        self.logger = logger
        self.appendBatch = appendBatch
        self.connect = connect
    }

    /// Runs `body` in the next write transaction; returns after it committed.
    func perform<T: Sendable>(_ body: @escaping @Sendable (WriteContext) async throws -> T) async throws -> T {
        try typed(await enqueue(.body { try await body($0) }))
    }

    /// Stores a send in the next write transaction, with the sends queued beside it in one call.
    func append(_ message: NewMessage) async throws -> AppendOutcome {
        try typed(await enqueue(.append(message)))
    }

    private func enqueue(_ work: Job.Work) async throws -> any Sendable {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<any Sendable, any Error>) in
            queue.append(Job(work: work, continuation: continuation))
            if !draining {
                draining = true
                Task { await self.drain() }
            }
        }
    }

    private func typed<T>(_ value: any Sendable) throws -> T {
        guard let typed = value as? T else { throw StoreError.engine("writer returned an unexpected value") }
        return typed
    }

    func close() async {
        try? await connection?.close()
        connection = nil
    }

    private func drain() async {
        while !queue.isEmpty {
            let batch = Array(queue.prefix(batchLimit))
            queue.removeFirst(batch.count)
            await run(batch)
        }
        draining = false
    }

    private func run(_ batch: [Job]) async {
        do {
            try await transaction { context in
                var index = 0
                while index < batch.count {
                    switch batch[index].work {
                    case .body(let body):
                        batch[index].result = try await body(context)
                        index += 1
                    case .append:
                        let sends = batch[index...].prefix { $0.message != nil }
                        let outcomes = try await appendBatch(sends.compactMap(\.message), context)
                        guard outcomes.count == sends.count else { throw StoreError.engine("a send of the batch was not stored") }
                        for (job, outcome) in zip(sends, outcomes) { job.result = outcome }
                        index += sends.count
                    }
                }
            }
            for job in batch { job.continuation.resume(returning: job.result ?? ()) }
        } catch {
            if batch.count == 1 {
                batch[0].continuation.resume(throwing: error)
            } else {
                for job in batch { await run([job]) }
            }
        }
    }

    private func transaction(_ body: (WriteContext) async throws -> Void) async throws {
        let sql = SQLSession(connection: try await liveConnection(), logger: logger)
        transactionCount += 1
        try await sql.run("BEGIN")
        do {
            let start = try await sql.first("SELECT version FROM parley_clock WHERE id = 1 FOR UPDATE") { try $0.int(0) } ?? 0
            let clock = VersionClock(start)
            try await body(WriteContext(sql: sql, clock: clock))
            if clock.current != start {
                try await sql.run("UPDATE parley_clock SET version = $1 WHERE id = 1", [.integer(clock.current)])
            }
            try await sql.run("COMMIT")
        } catch {
            if sql.connection.isClosed {
                connection = nil
            } else {
                try? await sql.run("ROLLBACK")
            }
            throw error
        }
    }

    private func liveConnection() async throws -> PostgresConnection {
        if let connection, !connection.isClosed { return connection }
        let fresh = try await connect()
        connection = fresh
        return fresh
    }
}
