import ParleyStore

extension PostgresStore {
    private static let userColumns = "id, username, display_name, avatar, password_hash, created_at, friends_only, last_seen, banned_at"

    private static func user(_ row: PGRow) throws -> UserRecord {
        UserRecord(
            id: try row.text(0), username: try row.text(1), displayName: try row.text(2), avatar: try row.optionalText(3),
            passwordHash: try row.text(4), createdAt: try row.int(5), friendsOnly: try row.bool(6), lastSeen: try row.optionalInt(7),
            bannedAt: try row.optionalInt(8))
    }

    public func createUser(_ user: UserRecord) async throws {
        try await write { db in
            do {
                try await db.sql.run(
                    "INSERT INTO users (\(Self.userColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    [.text(user.id), .text(user.username), .text(user.displayName), PGValue(user.avatar),
                     .text(user.passwordHash), .integer(user.createdAt), .bool(user.friendsOnly), PGValue(user.lastSeen),
                     PGValue(user.bannedAt)])
            } catch StoreError.duplicate {
                throw StoreError.duplicate("username")
            }
        }
    }

    public func user(id: String) async throws -> UserRecord? {
        try await read { try await $0.first("SELECT \(Self.userColumns) FROM users WHERE id = $1", [.text(id)], Self.user) }
    }

    public func user(username: String) async throws -> UserRecord? {
        try await read {
            try await $0.first("SELECT \(Self.userColumns) FROM users WHERE lower(username) = lower($1)", [.text(username)], Self.user)
        }
    }

    public func users(ids: [String]) async throws -> [UserRecord] {
        if ids.isEmpty { return [] }
        return try await read { try await $0.all("SELECT \(Self.userColumns) FROM users WHERE id = ANY($1)", [.texts(ids)], Self.user) }
    }

    public func updateProfile(userId: String, _ change: ProfileChange) async throws -> UserRecord? {
        try await write { db in
            if let name = change.displayName {
                try await db.sql.run("UPDATE users SET display_name = $1 WHERE id = $2", [.text(name), .text(userId)])
            }
            if let avatar = change.avatar {
                try await db.sql.run("UPDATE users SET avatar = $1 WHERE id = $2", [PGValue(avatar), .text(userId)])
            }
            if let friendsOnly = change.friendsOnly {
                try await db.sql.run("UPDATE users SET friends_only = $1 WHERE id = $2", [.bool(friendsOnly), .text(userId)])
            }
            return try await db.sql.first("SELECT \(Self.userColumns) FROM users WHERE id = $1", [.text(userId)], Self.user)
        }
    }

    public func setLastSeen(userId: String, at time: Int64) async throws {
        try await write { db in
            try await db.sql.run("UPDATE users SET last_seen = $1 WHERE id = $2", [.integer(time), .text(userId)])
        }
    }

    public func createAuthSession(_ session: AuthSessionRecord) async throws {
        try await write { db in
            try await db.sql.run(
                "INSERT INTO auth_sessions (id, user_id, refresh_hash, expires_at, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6)",
                [.text(session.id), .text(session.userId), .text(session.refreshTokenHash), .integer(session.expiresAt),
                 .integer(session.createdAt), PGValue(session.revokedAt)])
        }
    }

    public func authSession(id: String) async throws -> AuthSessionRecord? {
        try await read {
            try await $0.first(
                "SELECT id, user_id, refresh_hash, expires_at, created_at, revoked_at FROM auth_sessions WHERE id = $1", [.text(id)]
            ) { row in
                AuthSessionRecord(
                    id: try row.text(0), userId: try row.text(1), refreshTokenHash: try row.text(2), expiresAt: try row.int(3),
                    createdAt: try row.int(4), revokedAt: try row.optionalInt(5))
            }
        }
    }

    public func rotateRefreshToken(sessionId: String, currentHash: String, newHash: String, expiresAt: Int64) async throws -> Bool {
        try await write { db in
            try await db.sql.count(
                """
                UPDATE auth_sessions SET refresh_hash = $1, expires_at = $2
                WHERE id = $3 AND refresh_hash = $4 AND revoked_at IS NULL RETURNING 1
                """,
                [.text(newHash), .integer(expiresAt), .text(sessionId), .text(currentHash)]) == 1
        }
    }

    public func revokeAuthSession(id: String, at time: Int64) async throws {
        try await write { db in
            try await db.sql.run("UPDATE auth_sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [.integer(time), .text(id)])
        }
    }

    public func setBanned(userId: String, at time: Int64?) async throws -> Bool {
        try await write { db in
            try await db.sql.count("UPDATE users SET banned_at = $1 WHERE id = $2 RETURNING 1", [PGValue(time), .text(userId)]) > 0
        }
    }

    public func updatePasswordHash(userId: String, hash: String) async throws {
        try await write { db in
            try await db.sql.run("UPDATE users SET password_hash = $1 WHERE id = $2", [.text(hash), .text(userId)])
        }
    }

    public func userIds(after: String, limit: Int) async throws -> [String] {
        try await read {
            try await $0.all("SELECT id FROM users WHERE id > $1 ORDER BY id LIMIT $2", [.text(after), .integer(Int64(limit))]) { try $0.text(0) }
        }
    }

    public func revokeAuthSessions(userId: String, at time: Int64) async throws {
        try await write { db in
            try await db.sql.run(
                "UPDATE auth_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL", [.integer(time), .text(userId)])
        }
    }
}
