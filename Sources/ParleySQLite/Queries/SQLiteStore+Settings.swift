import ParleyStore

extension SQLiteStore {
    public func sharedSetting(_ name: String, proposed: String) async throws -> String {
        try await write { db in
            try db.run("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", [.text(name), .text(proposed)])
            return try db.first("SELECT value FROM settings WHERE name = ?", [.text(name)]) { $0.text(0) } ?? proposed
        }
    }
}
