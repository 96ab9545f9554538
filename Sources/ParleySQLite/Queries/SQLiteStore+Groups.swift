import ParleyStore

extension SQLiteStore {
    private static let groupColumns = "id, name, owner_id, announcement, mute_all, join_policy, created_at, updated_at, dismissed_at"

    private static func group(_ row: SQLRow) -> GroupRecord {
        GroupRecord(
            id: row.text(0), name: row.text(1), ownerId: row.text(2), announcement: row.text(3), muteAll: row.bool(4),
            joinPolicy: JoinPolicy(rawValue: row.text(5)) ?? .approval, createdAt: row.int(6), updatedAt: row.int(7),
            dismissedAt: row.optionalInt(8))
    }

    public func createGroup(_ group: GroupRecord, memberIds: [String], notices: [NewNotification]) async throws -> [NotificationRecord] {
        try await write { db in
            do {
                try db.run(
                    "INSERT INTO groups (\(Self.groupColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [.text(group.id), .text(group.name), .text(group.ownerId), .text(group.announcement),
                     SQLValue(group.muteAll), .text(group.joinPolicy.rawValue), .integer(group.createdAt),
                     .integer(group.updatedAt), SQLValue(group.dismissedAt)])
                try db.run(
                    "INSERT INTO conversations (id, type, last_seq, version, created_at, updated_at) VALUES (?, 'group', 0, ?, ?, ?)",
                    [.text(group.conversationId), .integer(self.nextVersion()), .integer(group.createdAt), .integer(group.createdAt)])
            } catch is SQLiteConstraintViolation {
                throw StoreError.duplicate("group")
            }
            try self.addMembers([group.ownerId], toGroup: group.id, role: .owner, capacity: .max, at: group.createdAt, db: db)
            try self.addMembers(memberIds.filter { $0 != group.ownerId }, toGroup: group.id, capacity: .max, at: group.createdAt, db: db)
            return try Self.insert(notices, into: db)
        }
    }

    public func group(id: String) async throws -> GroupRecord? {
        try await read { db in
            try db.first("SELECT \(Self.groupColumns) FROM groups WHERE id = ?", [.text(id)], Self.group)
        }
    }

    public func changeGroup(id: String, _ change: GroupChange, at time: Int64, notices: [NewNotification]) async throws -> [NotificationRecord] {
        try await write { db in
            guard try db.first("SELECT 1 FROM groups WHERE id = ? AND dismissed_at IS NULL", [.text(id)], { _ in true }) != nil else {
                throw StoreError.notFound("group")
            }
            let conversationId = "g_" + id
            switch change {
            case .addMembers(let userIds, let capacity):
                try self.addMembers(userIds, toGroup: id, capacity: capacity, at: time, db: db)
            case .removeMember(let userId):
                try db.run("DELETE FROM members WHERE conversation_id = ? AND user_id = ?", [.text(conversationId), .text(userId)])
                try db.run("DELETE FROM mentions WHERE conversation_id = ? AND user_id = ?", [.text(conversationId), .text(userId)])
            case .updateInfo(let name, let announcement, let muteAll, let joinPolicy):
                if let name { try db.run("UPDATE groups SET name = ? WHERE id = ?", [.text(name), .text(id)]) }
                if let announcement { try db.run("UPDATE groups SET announcement = ? WHERE id = ?", [.text(announcement), .text(id)]) }
                if let muteAll { try db.run("UPDATE groups SET mute_all = ? WHERE id = ?", [SQLValue(muteAll), .text(id)]) }
                if let joinPolicy { try db.run("UPDATE groups SET join_policy = ? WHERE id = ?", [.text(joinPolicy.rawValue), .text(id)]) }
                // Members' conversation lists carry the name: let their sync see the change.
                try db.run("UPDATE conversations SET version = ? WHERE id = ?", [.integer(self.nextVersion()), .text(conversationId)])
            case .setRole(let userId, let role):
                try db.run(
                    "UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ?",
                    [.text(role.rawValue), .text(conversationId), .text(userId)])
            case .muteMember(let userId, let until):
                try db.run(
                    "UPDATE members SET muted_until = ? WHERE conversation_id = ? AND user_id = ?",
                    [.integer(until), .text(conversationId), .text(userId)])
            case .transferOwnership(let from, let to):
                try db.run(
                    "UPDATE members SET role = 'admin' WHERE conversation_id = ? AND user_id = ?", [.text(conversationId), .text(from)])
                try db.run(
                    "UPDATE members SET role = 'owner', muted_until = 0 WHERE conversation_id = ? AND user_id = ?",
                    [.text(conversationId), .text(to)])
                try db.run("UPDATE groups SET owner_id = ? WHERE id = ?", [.text(to), .text(id)])
            case .dismiss:
                try db.run("UPDATE groups SET dismissed_at = ? WHERE id = ?", [.integer(time), .text(id)])
                try db.run("DELETE FROM members WHERE conversation_id = ?", [.text(conversationId)])
                try db.run("DELETE FROM mentions WHERE conversation_id = ?", [.text(conversationId)])
                try db.run(
                    "UPDATE requests SET status = 'rejected', decided_at = ? WHERE kind IN ('group_join', 'group_invitation') AND target_id = ? AND status = 'pending'",
                    [.integer(time), .text(id)])
            }
            try db.run("UPDATE groups SET updated_at = ? WHERE id = ?", [.integer(time), .text(id)])
            return try Self.insert(notices, into: db)
        }
    }

    /// Adds members inside the caller's transaction; they start with everything so far read,
    /// so joining a busy group does not bring its whole history as unread. The count is checked
    /// in the same transaction, so concurrent joins cannot pass `capacity` together.
    func addMembers(
        _ userIds: [String], toGroup groupId: String, role: GroupRole = .member, capacity: Int, at time: Int64, db: SQLiteConnection
    ) throws {
        let conversationId = "g_" + groupId
        if capacity < .max {
            let current = try db.all("SELECT user_id FROM members WHERE conversation_id = ?", [.text(conversationId)]) { $0.text(0) }
            let newcomers = Set(userIds).subtracting(current)
            if current.count + newcomers.count > capacity { throw StoreError.full("group") }
        }
        let lastSeq = try db.first("SELECT last_seq FROM conversations WHERE id = ?", [.text(conversationId)], { $0.int(0) }) ?? 0
        for userId in userIds {
            try db.run(
                """
                INSERT OR IGNORE INTO members (conversation_id, user_id, delivered_seq, read_seq, version, joined_at, role)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(conversationId), .text(userId), .integer(lastSeq), .integer(lastSeq), .integer(self.nextVersion()),
                 .integer(time), .text(role.rawValue)])
        }
    }
}
