import Foundation
import ParleyStore

extension SQLiteStore {
    /// Moves up to `SearchIndexer.batchLimit` backlog rows into the index, in one job of the
    /// writer (so it shares a group commit with sends). Nil when the store is closed.
    func indexSearchBacklog() -> (moved: Int, left: Int, lagMilliseconds: Int)? {
        do {
            return try writer.performBlocking { db in
                guard let (last, oldest) = try db.first(
                    "SELECT MAX(id), MIN(created_at) FROM (SELECT id, created_at FROM search_backlog ORDER BY id LIMIT ?)",
                    [.integer(Int64(SearchIndexer.batchLimit))], { row in row.optionalInt(0).map { ($0, row.int(1)) } }) ?? nil
                else {
                    self.searchIndexer.setBacklog(0)
                    return (0, 0, 0)
                }
                try db.run(
                    """
                    INSERT INTO message_search (body, message_id, conversation_id, created_at)
                    SELECT body, message_id, conversation_id, created_at FROM search_backlog WHERE id <= ? ORDER BY id
                    """, [.integer(last)])
                let moved = db.changes
                try db.run("DELETE FROM search_backlog WHERE id <= ?", [.integer(last)])
                let left = Int(try db.first("SELECT COUNT(*) FROM search_backlog", [], { $0.int(0) }) ?? 0)
                self.searchIndexer.setBacklog(left)
                let lag = max(0, Int(Date().timeIntervalSince1970 * 1000) - Int(oldest))
                return (moved, left, lag)
            }
        } catch {
            return nil
        }
    }

    /// Removes a message's text from search, wherever it is (recall, edit).
    static func forgetSearchText(of messageId: String, in db: SQLiteConnection) throws {
        try db.run("DELETE FROM message_search WHERE message_id = ?", [.text(messageId)])
        try db.run("DELETE FROM search_backlog WHERE message_id = ?", [.text(messageId)])
    }

    /// Rows waiting for the indexer, counted in the database (`/metrics` shows the indexer's own count).
    func searchBacklogCount() async throws -> Int {
        try await read { db in Int(try db.first("SELECT COUNT(*) FROM search_backlog", [], { $0.int(0) }) ?? 0) }
    }
}
