import Foundation
import Synchronization

/// Moves sends' search texts from `search_backlog` into the trigram index, in batches.
///
/// A trigram index insert touches dozens of pages; made inside each send's transaction it was
/// the largest part of a send's WAL (≈ 62 KB per message at 500/s, docs/benchmarks.md §10). A
/// send now appends its text to the backlog (one page) and this thread, every `interval`
/// (200 ms), asks the writer to index what is waiting in jobs of the next group commits. Search
/// reads both tables, so a message is found from its ack on; the backlog survives a crash and
/// is indexed after the restart.
final class SearchIndexer: Sendable {
    /// Most rows one job moves, so an index job holds the writer for ≈ 5–10 ms at most; a larger
    /// backlog is moved by several jobs with sends committed between them.
    static let batchLimit = 512

    private let stopped = Atomic<Bool>(false)
    /// Rows the backlog holds (may over-count after a rolled-back batch until the next job).
    private let pending = Atomic<Int>(1)
    private let indexed = Atomic<Int>(0)
    /// Age in ms of the oldest row of a batch when it was indexed, the highest since start.
    private let worstLag = Atomic<Int>(0)

    init() {}

    /// Starts the thread.
    /// - Parameter index: runs one indexing job on the writer, returns (rows moved, rows left,
    ///   age in ms of the oldest moved row), or nil when the store is closed.
    func start(every interval: TimeInterval, index: @escaping @Sendable () -> (moved: Int, left: Int, lagMilliseconds: Int)?) {
        let thread = Thread { [self] in
            while !self.stopped.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: interval)
                // Keep going without a pause while a burst left more than one batch.
                while self.pending.load(ordering: .relaxed) > 0, !self.stopped.load(ordering: .relaxed) {
                    guard let outcome = index() else { break }
                    self.indexed.add(outcome.moved, ordering: .relaxed)
                    if outcome.lagMilliseconds > self.worstLag.load(ordering: .relaxed) {
                        self.worstLag.store(outcome.lagMilliseconds, ordering: .relaxed)
                    }
                    if outcome.left < Self.batchLimit { break }
                }
            }
        }
        thread.name = "parley-search-indexer"
        thread.start()
    }

    /// A send queued a text (called on the writer thread, inside its transaction).
    func noteBacklog() {
        pending.add(1, ordering: .relaxed)
    }

    /// The exact backlog, counted by an indexing job on the writer thread.
    func setBacklog(_ rows: Int) {
        pending.store(rows, ordering: .relaxed)
    }

    var backlog: Int { pending.load(ordering: .relaxed) }
    var indexedRows: Int { indexed.load(ordering: .relaxed) }
    var worstLagMilliseconds: Int { worstLag.load(ordering: .relaxed) }

    func stop() {
        stopped.store(true, ordering: .relaxed)
    }
}
