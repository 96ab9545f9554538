import ParleyStore

extension SQLiteStore {
    private static let userColumns = """
        id, username, display_name, avatar, password_hash, created_at, friends_only, last_seen, banned_at, group_adds, \
        presence_visibility, deleted_at
        """

    private static func user(_ row: SQLRow) -> UserRecord {
        UserRecord(
            id: row.text(0), username: row.text(1), displayName: row.text(2), avatar: row.optionalText(3),
            passwordHash: row.text(4), createdAt: row.int(5), friendsOnly: row.bool(6), lastSeen: row.optionalInt(7),
            bannedAt: row.optionalInt(8), groupAdds: row.optionalText(9).flatMap(GroupAdds.init(rawValue:)),
            presenceVisibility: PresenceVisibility(rawValue: row.text(10)) ?? .contacts, deletedAt: row.optionalInt(11))
    }

    public func createUser(_ user: UserRecord) async throws {
        try await write { db in
            do {
                try db.run(
                    "INSERT INTO users (\(Self.userColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [.text(user.id), .text(user.username), .text(user.displayName), SQLValue(user.avatar),
                     .text(user.passwordHash), .integer(user.createdAt), SQLValue(user.friendsOnly), SQLValue(user.lastSeen),
                     SQLValue(user.bannedAt), SQLValue(user.groupAdds?.rawValue), .text(user.presenceVisibility.rawValue),
                     SQLValue(user.deletedAt)])
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

    public func rotateRefreshToken(sessionId: String, currentHash: String, newHash: String, expiresAt: Int64) async throws -> RefreshRotation {
        try await write { db in
            guard let (current, rotated) = try db.first(
                "SELECT refresh_hash, rotated_hashes FROM auth_sessions WHERE id = ? AND revoked_at IS NULL",
                [.text(sessionId)], { ($0.text(0), $0.text(1)) })
            else { return .unknown }
            let earlier = RotatedHashes(rotated)
            guard current == currentHash else { return earlier.contains(currentHash) ? .reused : .unknown }
            try db.run(
                "UPDATE auth_sessions SET refresh_hash = ?, expires_at = ?, rotated_hashes = ? WHERE id = ?",
                [.text(newHash), .integer(expiresAt), .text(earlier.adding(currentHash).text), .text(sessionId)])
            return .rotated
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
            if let groupAdds = change.groupAdds {
                try db.run("UPDATE users SET group_adds = ? WHERE id = ?", [.text(groupAdds.rawValue), .text(userId)])
            }
            if let visibility = change.presenceVisibility {
                try db.run("UPDATE users SET presence_visibility = ? WHERE id = ?", [.text(visibility.rawValue), .text(userId)])
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

    public func deleteAccount(userId: String, anonymised change: DeletedAccount, at time: Int64) async throws {
        try await write { db in
            try db.run(
                """
                UPDATE users SET username = ?, display_name = ?, avatar = NULL, password_hash = ?, deleted_at = ?, last_seen = NULL
                WHERE id = ?
                """,
                [.text(change.username), .text(change.displayName), .text(change.passwordHash), .integer(time), .text(userId)])
            let user: [SQLValue] = [.text(userId)]
            try db.run("UPDATE auth_sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL", [.integer(time)] + user)
            try db.run("DELETE FROM friendships WHERE user_id = ?1 OR friend_id = ?1", user)
            try db.run("DELETE FROM blocks WHERE user_id = ?1 OR blocked_id = ?1", user)
            try db.run("DELETE FROM push_tokens WHERE user_id = ?", user)
            try db.run(
                "UPDATE requests SET status = 'rejected', decided_at = ? WHERE status = 'pending' AND (from_id = ?2 OR target_id = ?2)",
                [.integer(time)] + user)
        }
    }

    public func memberships(userId: String) async throws -> [MembershipRecord] {
        try await read { db in
            try db.all(
                "SELECT \(Self.memberColumns) FROM members WHERE user_id = ? ORDER BY conversation_id", [.text(userId)], Self.membership)
        }
    }
}
