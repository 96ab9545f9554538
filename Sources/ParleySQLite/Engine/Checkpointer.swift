import Foundation
import Synchronization

/// Copies the WAL into the database file in the background.
///
/// SQLite's automatic checkpoint runs inside the COMMIT that crosses the WAL size limit, on
/// the writer thread, and copying a thousand pages there stalls every write queued behind it.
/// Here a connection of its own runs PASSIVE checkpoints every half second, which never block
/// the writer or the readers, so the writer's own checkpoint finds little left to copy.
/// The writer's checkpoint must stay: a background checkpoint alone never lets the WAL restart
/// under continuous writes (it grew to 900 MB in a 2,000 messages/s test, and the file growth
/// made commits stall for hundreds of ms).
final class Checkpointer: Sendable {
    private let stopped = Atomic<Bool>(false)

    init(path: String, every interval: TimeInterval) throws {
        let box = CheckpointConnection(try SQLiteConnection(path: path, readOnly: false))
        let thread = Thread { [self] in
            while !self.stopped.load(ordering: .relaxed) {
                Thread.sleep(forTimeInterval: interval)
                try? box.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")
            }
        }
        thread.name = "parley-sqlite-checkpoint"
        thread.start()
    }

    func stop() {
        stopped.store(true, ordering: .relaxed)
    }
}

/// Hands the checkpoint connection to its thread.
private final class CheckpointConnection: @unchecked Sendable {
    // @unchecked Sendable: created before the thread starts and used only by that thread.
    let connection: SQLiteConnection
    init(_ connection: SQLiteConnection) { self.connection = connection }
}
