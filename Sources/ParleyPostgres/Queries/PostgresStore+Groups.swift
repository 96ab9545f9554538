import ParleyStore

extension PostgresStore {
    private static let groupColumns = "id, name, owner_id, announcement, mute_all, join_policy, created_at, updated_at, dismissed_at"

    private static func group(_ row: PGRow) throws -> GroupRecord {
        GroupRecord(
            id: try row.text(0), name: try row.text(1), ownerId: try row.text(2), announcement: try row.text(3), muteAll: try row.bool(4),
            joinPolicy: JoinPolicy(rawValue: try row.text(5)) ?? .approval, createdAt: try row.int(6), updatedAt: try row.int(7),
            dismissedAt: try row.optionalInt(8))
    }

    public func createGroup(_ group: GroupRecord, memberIds: [String], notices: [NewNotification]) async throws -> [NotificationRecord] {
        try await write { db in
            do {
                try await db.sql.run(
                    "INSERT INTO groups (\(Self.groupColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    [.text(group.id), .text(group.name), .text(group.ownerId), .text(group.announcement),
                     .bool(group.muteAll), .text(group.joinPolicy.rawValue), .integer(group.createdAt),
                     .integer(group.updatedAt), PGValue(group.dismissedAt)])
                try await db.sql.run(
                    "INSERT INTO conversations (id, type, last_seq, version, created_at, updated_at) VALUES ($1, 'group', 0, $2, $3, $3)",
                    [.text(group.conversationId), .integer(db.nextVersion()), .integer(group.createdAt)])
            } catch StoreError.duplicate {
                throw StoreError.duplicate("group")
            }
            try await Self.addMembers([group.ownerId], toGroup: group.id, role: .owner, capacity: .max, at: group.createdAt, db: db)
            try await Self.addMembers(memberIds.filter { $0 != group.ownerId }, toGroup: group.id, capacity: .max, at: group.createdAt, db: db)
            return try await Self.insert(notices, into: db.sql)
        }
    }

    public func group(id: String) async throws -> GroupRecord? {
        try await read { try await $0.first("SELECT \(Self.groupColumns) FROM groups WHERE id = $1", [.text(id)], Self.group) }
    }

    public func changeGroup(id: String, _ change: GroupChange, at time: Int64, notices: [NewNotification]) async throws -> [NotificationRecord] {
        try await write { db in
            let sql = db.sql
            guard try await sql.first("SELECT 1 FROM groups WHERE id = $1 AND dismissed_at IS NULL FOR UPDATE", [.text(id)], { _ in true }) != nil else {
                throw StoreError.notFound("group")
            }
            let conversationId: PGValue = .text("g_" + id)
            switch change {
            case .addMembers(let userIds, let capacity):
                try await Self.addMembers(userIds, toGroup: id, capacity: capacity, at: time, db: db)
            case .removeMember(let userId):
                try await sql.run("DELETE FROM members WHERE conversation_id = $1 AND user_id = $2", [conversationId, .text(userId)])
                try await sql.run("DELETE FROM mentions WHERE conversation_id = $1 AND user_id = $2", [conversationId, .text(userId)])
            case .updateInfo(let name, let announcement, let muteAll, let joinPolicy):
                try await sql.run(
                    """
                    UPDATE groups SET name = COALESCE($2, name), announcement = COALESCE($3, announcement),
                        mute_all = COALESCE($4, mute_all), join_policy = COALESCE($5, join_policy) WHERE id = $1
                    """,
                    [.text(id), PGValue(name), PGValue(announcement), muteAll.map(PGValue.bool) ?? .null, PGValue(joinPolicy?.rawValue)])
                // Members' conversation lists carry the name: let their sync see the change.
                try await sql.run("UPDATE conversations SET version = $1 WHERE id = $2", [.integer(db.nextVersion()), conversationId])
            case .setRole(let userId, let role):
                try await sql.run(
                    "UPDATE members SET role = $1 WHERE conversation_id = $2 AND user_id = $3", [.text(role.rawValue), conversationId, .text(userId)])
            case .muteMember(let userId, let until):
                try await sql.run(
                    "UPDATE members SET muted_until = $1 WHERE conversation_id = $2 AND user_id = $3", [.integer(until), conversationId, .text(userId)])
            case .transferOwnership(let from, let to):
                try await sql.run("UPDATE members SET role = 'admin' WHERE conversation_id = $1 AND user_id = $2", [conversationId, .text(from)])
                try await sql.run(
                    "UPDATE members SET role = 'owner', muted_until = 0 WHERE conversation_id = $1 AND user_id = $2", [conversationId, .text(to)])
                try await sql.run("UPDATE groups SET owner_id = $1 WHERE id = $2", [.text(to), .text(id)])
            case .dismiss:
                try await sql.run("UPDATE groups SET dismissed_at = $1 WHERE id = $2", [.integer(time), .text(id)])
                try await sql.run("DELETE FROM members WHERE conversation_id = $1", [conversationId])
                try await sql.run("DELETE FROM mentions WHERE conversation_id = $1", [conversationId])
                try await sql.run(
                    "UPDATE requests SET status = 'rejected', decided_at = $1 WHERE kind IN ('group_join', 'group_invitation') AND target_id = $2 AND status = 'pending'",
                    [.integer(time), .text(id)])
            }
            try await sql.run("UPDATE groups SET updated_at = $1 WHERE id = $2", [.integer(time), .text(id)])
            return try await Self.insert(notices, into: sql)
        }
    }

    /// Adds members inside the caller's transaction, everything so far marked read (one statement).
    /// The count is checked in the same transaction (the caller holds the group's row lock), so
    /// concurrent joins cannot pass `capacity` together.
    static func addMembers(
        _ userIds: [String], toGroup groupId: String, role: GroupRole = .member, capacity: Int, at time: Int64, db: WriteContext
    ) async throws {
        if userIds.isEmpty { return }
        let conversationId = "g_" + groupId
        if capacity < .max {
            let current = Set(try await db.sql.all(
                "SELECT user_id FROM members WHERE conversation_id = $1", [.text(conversationId)], { try $0.text(0) }))
            if current.count + Set(userIds).subtracting(current).count > capacity { throw StoreError.full("group") }
        }
        let lastSeq = try await db.sql.first("SELECT last_seq FROM conversations WHERE id = $1", [.text(conversationId)], { try $0.int(0) }) ?? 0
        try await db.sql.run(
            """
            INSERT INTO members (conversation_id, user_id, delivered_seq, read_seq, version, joined_at, role)
            SELECT $1, u, $2, $2, $3, $4, $5 FROM unnest($6::text[]) AS u
            ON CONFLICT DO NOTHING
            """,
            [.text(conversationId), .integer(lastSeq), .integer(db.nextVersion()), .integer(time), .text(role.rawValue), .texts(userIds)])
    }
}
