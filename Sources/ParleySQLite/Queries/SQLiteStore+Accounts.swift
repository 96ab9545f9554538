import ParleyStore

extension SQLiteStore {
    private static let userColumns = "id, username, display_name, avatar, password_hash, created_at, friends_only, last_seen, banned_at"

    private static func user(_ row: SQLRow) -> UserRecord {
        UserRecord(
            id: row.text(0), username: row.text(1), displayName: row.text(2), avatar: row.optionalText(3),
            passwordHash: row.text(4), createdAt: row.int(5), friendsOnly: row.bool(6), lastSeen: row.optionalInt(7),
            bannedAt: row.optionalInt(8))
    }

    public func createUser(_ user: UserRecord) async throws {
        try await write { db in
            do {
                try db.run(
                    "INSERT INTO users (\(Self.userColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [.text(user.id), .text(user.username), .text(user.displayName), SQLValue(user.avatar),
                     .text(user.passwordHash), .integer(user.createdAt), SQLValue(user.friendsOnly), SQLValue(user.lastSeen),
                     SQLValue(user.bannedAt)])
            } catch is SQLiteConstraintViolation {
                throw StoreError.duplicate("username")
            }
        }
    }

    public func user(id: String) async throws -> UserRecord? {
        try await read { db in
            try db.first("SELECT \(Self.userColumns) FROM users WHERE id = ?", [.text(id)], Self.user)
        }
    }

    public func user(username: String) async throws -> UserRecord? {
        try await read { db in
            try db.first("SELECT \(Self.userColumns) FROM users WHERE username = ?", [.text(username)], Self.user)
        }
    }

    public func users(ids: [String]) async throws -> [UserRecord] {
        if ids.isEmpty { return [] }
        return try await read { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            return try db.all("SELECT \(Self.userColumns) FROM users WHERE id IN (\(marks))", ids.map { .text($0) }, Self.user)
        }
    }

    public func createAuthSession(_ session: AuthSessionRecord) async throws {
        try await write { db in
            try db.run(
                "INSERT INTO auth_sessions (id, user_id, refresh_hash, expires_at, created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)",
                [.text(session.id), .text(session.userId), .text(session.refreshTokenHash), .integer(session.expiresAt),
                 .integer(session.createdAt), SQLValue(session.revokedAt)])
        }
    }

    public func authSession(id: String) async throws -> AuthSessionRecord? {
        try await read { db in
            try db.first(
                "SELECT id, user_id, refresh_hash, expires_at, created_at, revoked_at FROM auth_sessions WHERE id = ?",
                [.text(id)]
            ) { row in
                AuthSessionRecord(
                    id: row.text(0), userId: row.text(1), refreshTokenHash: row.text(2), expiresAt: row.int(3),
                    createdAt: row.int(4), revokedAt: row.optionalInt(5))
            }
        }
    }

    public func rotateRefreshToken(sessionId: String, currentHash: String, newHash: String, expiresAt: Int64) async throws -> Bool {
        try await write { db in
            try db.run(
                "UPDATE auth_sessions SET refresh_hash = ?, expires_at = ? WHERE id = ? AND refresh_hash = ? AND revoked_at IS NULL",
                [.text(newHash), .integer(expiresAt), .text(sessionId), .text(currentHash)])
            return db.changes == 1
        }
    }

    public func revokeAuthSession(id: String, at time: Int64) async throws {
        try await write { db in
            try db.run("UPDATE auth_sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL", [.integer(time), .text(id)])
        }
    }

    public func updateProfile(userId: String, _ change: ProfileChange) async throws -> UserRecord? {
        try await write { db in
            if let name = change.displayName {
                try db.run("UPDATE users SET display_name = ? WHERE id = ?", [.text(name), .text(userId)])
            }
            if let avatar = change.avatar {
                try db.run("UPDATE users SET avatar = ? WHERE id = ?", [SQLValue(avatar), .text(userId)])
            }
            if let friendsOnly = change.friendsOnly {
                try db.run("UPDATE users SET friends_only = ? WHERE id = ?", [SQLValue(friendsOnly), .text(userId)])
            }
            return try db.first("SELECT \(Self.userColumns) FROM users WHERE id = ?", [.text(userId)], Self.user)
        }
    }

    public func setLastSeen(userId: String, at time: Int64) async throws {
        try await write { db in
            try db.run("UPDATE users SET last_seen = ? WHERE id = ?", [.integer(time), .text(userId)])
        }
    }

    public func setBanned(userId: String, at time: Int64?) async throws -> Bool {
        try await write { db in
            try db.run("UPDATE users SET banned_at = ? WHERE id = ?", [SQLValue(time), .text(userId)])
            return db.changes > 0
        }
    }

    public func updatePasswordHash(userId: String, hash: String) async throws {
        try await write { db in
            try db.run("UPDATE users SET password_hash = ? WHERE id = ?", [.text(hash), .text(userId)])
        }
    }

    public func userIds(after: String, limit: Int) async throws -> [String] {
        try await read { db in
            try db.all("SELECT id FROM users WHERE id > ? ORDER BY id LIMIT ?", [.text(after), .integer(Int64(limit))]) { $0.text(0) }
        }
    }

    public func revokeAuthSessions(userId: String, at time: Int64) async throws {
        try await write { db in
            try db.run("UPDATE auth_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", [.integer(time), .text(userId)])
        }
    }
}
