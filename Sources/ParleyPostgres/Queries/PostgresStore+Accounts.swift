import ParleyStore

extension PostgresStore {
    private static let userColumns = """
        id, username, display_name, avatar, password_hash, created_at, friends_only, last_seen, banned_at, group_adds, \
        presence_visibility, deleted_at
        """

    private static func user(_ row: PGRow) throws -> UserRecord {
        UserRecord(
            id: try row.text(0), username: try row.text(1), displayName: try row.text(2), avatar: try row.optionalText(3),
            passwordHash: try row.text(4), createdAt: try row.int(5), friendsOnly: try row.bool(6), lastSeen: try row.optionalInt(7),
            bannedAt: try row.optionalInt(8), groupAdds: try row.optionalText(9).flatMap(GroupAdds.init(rawValue:)),
            presenceVisibility: PresenceVisibility(rawValue: try row.text(10)) ?? .contacts, deletedAt: try row.optionalInt(11))
    }

    public func createUser(_ user: UserRecord) async throws {
        try await write { db in
            do {
                try await db.sql.run(
                    "INSERT INTO users (\(Self.userColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    [.text(user.id), .text(user.username), .text(user.displayName), PGValue(user.avatar),
                     .text(user.passwordHash), .integer(user.createdAt), .bool(user.friendsOnly), PGValue(user.lastSeen),
                     PGValue(user.bannedAt), PGValue(user.groupAdds?.rawValue), .text(user.presenceVisibility.rawValue),
                     PGValue(user.deletedAt)])
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
            if let groupAdds = change.groupAdds {
                try await db.sql.run("UPDATE users SET group_adds = $1 WHERE id = $2", [.text(groupAdds.rawValue), .text(userId)])
            }
            if let visibility = change.presenceVisibility {
                try await db.sql.run("UPDATE users SET presence_visibility = $1 WHERE id = $2", [.text(visibility.rawValue), .text(userId)])
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

    public func rotateRefreshToken(sessionId: String, currentHash: String, newHash: String, expiresAt: Int64) async throws -> RefreshRotation {
        try await write { db in
            guard let (current, rotated) = try await db.sql.first(
                "SELECT refresh_hash, rotated_hashes FROM auth_sessions WHERE id = $1 AND revoked_at IS NULL FOR UPDATE",
                [.text(sessionId)], { (try $0.text(0), try $0.text(1)) })
            else { return .unknown }
            let earlier = RotatedHashes(rotated)
            guard current == currentHash else { return earlier.contains(currentHash) ? .reused : .unknown }
            try await db.sql.run(
                "UPDATE auth_sessions SET refresh_hash = $1, expires_at = $2, rotated_hashes = $3 WHERE id = $4",
                [.text(newHash), .integer(expiresAt), .text(earlier.adding(currentHash).text), .text(sessionId)])
            return .rotated
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

    public func deleteAccount(userId: String, anonymised change: DeletedAccount, at time: Int64) async throws {
        try await write { db in
            let sql = db.sql
            try await sql.run(
                """
                UPDATE users SET username = $1, display_name = $2, avatar = NULL, password_hash = $3, deleted_at = $4, last_seen = NULL
                WHERE id = $5
                """,
                [.text(change.username), .text(change.displayName), .text(change.passwordHash), .integer(time), .text(userId)])
            try await sql.run(
                "UPDATE auth_sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL", [.integer(time), .text(userId)])
            try await sql.run("DELETE FROM friendships WHERE user_id = $1 OR friend_id = $1", [.text(userId)])
            try await sql.run("DELETE FROM blocks WHERE user_id = $1 OR blocked_id = $1", [.text(userId)])
            try await sql.run("DELETE FROM push_tokens WHERE user_id = $1", [.text(userId)])
            try await sql.run(
                "UPDATE requests SET status = 'rejected', decided_at = $1 WHERE status = 'pending' AND (from_id = $2 OR target_id = $2)",
                [.integer(time), .text(userId)])
        }
    }

    public func memberships(userId: String) async throws -> [MembershipRecord] {
        try await read {
            try await $0.all(
                "SELECT \(Self.memberColumns) FROM members WHERE user_id = $1 ORDER BY conversation_id", [.text(userId)], Self.membership)
        }
    }
}
