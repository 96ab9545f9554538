import Foundation
import Logging
import ParleyStore
import Synchronization

/// The embedded store: one SQLite database in WAL mode, one writer thread committing
/// concurrent writes together (group commit), and a few reader threads.
public final class SQLiteStore: Store {
    /// How durable a commit is before the caller hears of it.
    public enum Durability: String, Sendable {
        /// fsync on every commit: an acknowledged write survives a power cut.
        case full
        /// fsync at checkpoints: survives a process crash, may lose the last commits on power loss.
        case normal
    }

    let writer: SQLiteWorker
    private let checkpointer: Checkpointer
    /// Moves sends' search texts into the full-text index after their commit.
    let searchIndexer = SearchIndexer()
    private let readers: [SQLiteWorker]
    private let nextReader = Atomic<Int>(0)
    /// The store-wide change counter behind sync cursors. Only the writer thread advances it,
    /// and transactions commit in the order they take versions, so a cursor never skips a change.
    let clock: Atomic<Int64>

    /// Opens (creating if needed) the database at `path` and applies migrations.
    /// - Parameter searchIndexInterval: how often sends' search texts are moved into the
    ///   full-text index (they are searched from the backlog meanwhile).
    public init(
        path: String, durability: Durability = .full, readerCount: Int = 2, searchIndexInterval: TimeInterval = 0.2,
        logger: Logger? = nil
    ) throws {
        let writeConnection = try SQLiteConnection(path: path, readOnly: false)
        try writeConnection.execute("PRAGMA journal_mode = WAL")
        try writeConnection.execute("PRAGMA synchronous = \(durability == .full ? "FULL" : "NORMAL")")
        try writeConnection.execute("PRAGMA foreign_keys = OFF")
        let pageSize = try writeConnection.first("PRAGMA page_size") { $0.int(0) } ?? 4096
        // The writer still checkpoints once the WAL holds 4 MiB, which lets the WAL restart from
        // its beginning and stay small; the `Checkpointer` has copied most pages by then, so
        // this is cheap (see `Checkpointer`).
        try writeConnection.execute("PRAGMA wal_autocheckpoint = \(4 * 1024 * 1024 / max(512, pageSize))")
        // After a checkpoint restarts the WAL, give back what a burst made it grow beyond 16 MiB.
        try writeConnection.execute("PRAGMA journal_size_limit = 16777216")
        try Migrations.apply(to: writeConnection)
        let version = try writeConnection.first(
            "SELECT MAX(COALESCE((SELECT MAX(version) FROM conversations), 0), COALESCE((SELECT MAX(version) FROM members), 0))"
        ) { $0.int(0) } ?? 0
        self.clock = Atomic(version)
        self.writer = SQLiteWorker(name: "parley-sqlite-writer", connection: writeConnection, transactional: true, batchLimit: 1024)
        var readers: [SQLiteWorker] = []
        for index in 0..<max(1, readerCount) {
            let connection = try SQLiteConnection(path: path, readOnly: true)
            readers.append(SQLiteWorker(name: "parley-sqlite-reader-\(index)", connection: connection, transactional: false, batchLimit: 64))
        }
        self.readers = readers
        self.checkpointer = try Checkpointer(path: path, every: 0.5)
        searchIndexer.start(every: searchIndexInterval) { [weak self] in self?.indexSearchBacklog() }
        logger?.info("sqlite store open", metadata: ["path": "\(path)", "version": "\(version)"])
    }

    deinit {
        close()
    }

    /// Stops the worker threads after their queued work.
    public func close() {
        searchIndexer.stop()
        writer.stop()
        checkpointer.stop()
        for reader in readers { reader.stop() }
    }

    /// Runs `body` in the next write transaction; returns after it committed.
    func write<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        try await writer.perform(body)
    }

    /// Runs `body` in a read transaction on one of the readers.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteConnection) throws -> T) async throws -> T {
        let index = nextReader.wrappingAdd(1, ordering: .relaxed).oldValue
        return try await readers[Int(index.magnitude % UInt(readers.count))].perform(body)
    }

    /// The schema version this binary creates and understands.
    public static var schemaVersion: Int { Migrations.latest }

    /// Write transactions committed (or attempted) so far; fewer than writes when they are grouped.
    public var transactionCount: Int { writer.transactionCount }

    /// Takes the next version for a change; call only inside `write`.
    func nextVersion() -> Int64 {
        clock.wrappingAdd(1, ordering: .relaxed).newValue
    }
}

extension SQLiteStore: EngineStatistics {
    public var engineStatistics: [EngineStatistic] {
        [
            EngineStatistic(
                name: "parley_store_transactions_total", kind: .counter,
                help: "Write transactions the embedded store committed (sends grouped into one count once).", value: transactionCount),
            EngineStatistic(
                name: "parley_search_backlog", kind: .gauge,
                help: "Messages stored but not yet in the full-text index (searched as they stand meanwhile).",
                value: searchIndexer.backlog),
            EngineStatistic(
                name: "parley_search_indexed_total", kind: .counter, help: "Messages moved into the full-text index.",
                value: searchIndexer.indexedRows),
            EngineStatistic(
                name: "parley_search_index_lag_max_milliseconds", kind: .gauge,
                help: "Longest a message waited for the full-text index since start.", value: searchIndexer.worstLagMilliseconds),
        ]
    }
}
