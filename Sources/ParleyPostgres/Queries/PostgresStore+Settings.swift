import ParleyStore

extension PostgresStore {
    public func sharedSetting(_ name: String, proposed: String) async throws -> String {
        try await write { db in
            try await db.sql.run("INSERT INTO settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", [.text(name), .text(proposed)])
            return try await db.sql.first("SELECT value FROM settings WHERE name = $1", [.text(name)]) { try $0.text(0) } ?? proposed
        }
    }
}
