import ParleyStore

extension SQLiteStore {
    private static let requestColumns = "id, kind, from_id, target_id, message, status, decided_by, created_at, decided_at, inviter_id"

    private static func request(_ row: SQLRow) -> RequestRecord {
        RequestRecord(
            id: row.text(0), kind: RequestKind(rawValue: row.text(1)) ?? .friend, fromId: row.text(2),
            targetId: row.text(3), message: row.text(4), status: RequestStatus(rawValue: row.text(5)) ?? .pending,
            decidedBy: row.optionalText(6), createdAt: row.int(7), decidedAt: row.optionalInt(8), inviterId: row.optionalText(9))
    }

    public func createRequest(_ request: RequestRecord, notices: [NewNotification]) async throws -> [NotificationRecord] {
        try await write { db in
            do {
                try db.run(
                    "INSERT INTO requests (\(Self.requestColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [.text(request.id), .text(request.kind.rawValue), .text(request.fromId), .text(request.targetId),
                     .text(request.message), .text(request.status.rawValue), SQLValue(request.decidedBy),
                     .integer(request.createdAt), SQLValue(request.decidedAt), SQLValue(request.inviterId)])
            } catch is SQLiteConstraintViolation {
                throw StoreError.duplicate("pending request")
            }
            return try Self.insert(notices, into: db)
        }
    }

    public func request(id: String) async throws -> RequestRecord? {
        try await read { db in
            try db.first("SELECT \(Self.requestColumns) FROM requests WHERE id = ?", [.text(id)], Self.request)
        }
    }

    public func pendingRequest(kind: RequestKind, fromId: String, targetId: String) async throws -> RequestRecord? {
        try await read { db in
            try db.first(
                "SELECT \(Self.requestColumns) FROM requests WHERE kind = ? AND from_id = ? AND target_id = ? AND status = 'pending'",
                [.text(kind.rawValue), .text(fromId), .text(targetId)], Self.request)
        }
    }

    public func pendingRequests(kind: RequestKind, involving ids: [String], limit: Int) async throws -> [RequestRecord] {
        if ids.isEmpty { return [] }
        return try await read { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            let values = ids.map { SQLValue.text($0) }
            return try db.all(
                """
                SELECT \(Self.requestColumns) FROM requests
                WHERE status = 'pending' AND kind = ? AND (from_id IN (\(marks)) OR target_id IN (\(marks)))
                ORDER BY created_at DESC, id DESC LIMIT ?
                """,
                [.text(kind.rawValue)] + values + values + [.integer(Int64(limit))], Self.request)
        }
    }

    public func decideRequest(
        id: String, accept: Bool, by deciderId: String, at time: Int64, notices: [NewNotification], groupCapacity: Int
    ) async throws -> [NotificationRecord]? {
        try await write { db in
            guard let request = try db.first(
                "SELECT \(Self.requestColumns) FROM requests WHERE id = ? AND status = 'pending'", [.text(id)], Self.request)
            else { return nil }
            try db.run(
                "UPDATE requests SET status = ?, decided_by = ?, decided_at = ? WHERE id = ?",
                [.text(accept ? "accepted" : "rejected"), .text(deciderId), .integer(time), .text(id)])
            if accept {
                switch request.kind {
                case .friend:
                    try Self.befriend(request.fromId, request.targetId, at: time, db: db)
                    // A crossing request the other way is settled by this one.
                    try db.run(
                        """
                        UPDATE requests SET status = 'accepted', decided_by = ?, decided_at = ?
                        WHERE kind = 'friend' AND from_id = ? AND target_id = ? AND status = 'pending'
                        """,
                        [.text(deciderId), .integer(time), .text(request.targetId), .text(request.fromId)])
                case .groupJoin, .groupInvitation:
                    guard try db.first(
                        "SELECT 1 FROM groups WHERE id = ? AND dismissed_at IS NULL", [.text(request.targetId)], { _ in true }) != nil
                    else { throw StoreError.notFound("group") }
                    try self.addMembers([request.fromId], toGroup: request.targetId, capacity: groupCapacity, at: time, db: db)
                }
            }
            return try Self.insert(notices, into: db)
        }
    }

    private static func befriend(_ a: String, _ b: String, at time: Int64, db: SQLiteConnection) throws {
        for (user, friend) in [(a, b), (b, a)] {
            try db.run(
                "INSERT OR IGNORE INTO friendships (user_id, friend_id, created_at) VALUES (?, ?, ?)",
                [.text(user), .text(friend), .integer(time)])
        }
    }

    public func friends(of userId: String) async throws -> [FriendRecord] {
        try await read { db in
            try db.all(
                "SELECT friend_id, created_at FROM friendships WHERE user_id = ? ORDER BY created_at, friend_id",
                [.text(userId)]) { FriendRecord(userId: $0.text(0), since: $0.int(1)) }
        }
    }

    public func areFriends(_ a: String, _ b: String) async throws -> Bool {
        try await read { db in
            try db.first("SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?", [.text(a), .text(b)], { _ in true }) ?? false
        }
    }

    public func removeFriendship(_ a: String, _ b: String, notices: [NewNotification]) async throws -> [NotificationRecord]? {
        try await write { db in
            try db.run(
                "DELETE FROM friendships WHERE (user_id = ? AND friend_id = ?) OR (user_id = ? AND friend_id = ?)",
                [.text(a), .text(b), .text(b), .text(a)])
            guard db.changes > 0 else { return nil }
            return try Self.insert(notices, into: db)
        }
    }

    public func setBlock(userId: String, targetId: String, blocked: Bool, at time: Int64) async throws -> Bool {
        try await write { db in
            if blocked {
                try db.run(
                    "INSERT OR IGNORE INTO blocks (user_id, blocked_id, created_at) VALUES (?, ?, ?)",
                    [.text(userId), .text(targetId), .integer(time)])
            } else {
                try db.run("DELETE FROM blocks WHERE user_id = ? AND blocked_id = ?", [.text(userId), .text(targetId)])
            }
            return db.changes > 0
        }
    }

    public func blocks(of userId: String) async throws -> [BlockRecord] {
        try await read { db in
            try db.all(
                "SELECT blocked_id, created_at FROM blocks WHERE user_id = ? ORDER BY created_at, blocked_id",
                [.text(userId)]) { BlockRecord(userId: $0.text(0), since: $0.int(1)) }
        }
    }

    public func blockers(of userId: String) async throws -> [String] {
        try await read { db in
            try db.all("SELECT user_id FROM blocks WHERE blocked_id = ?", [.text(userId)]) { $0.text(0) }
        }
    }

    public func blockers(between a: String, and b: String) async throws -> Set<String> {
        try await read { db in try Self.blockers(between: a, and: b, in: db) }
    }

    static func blockers(between a: String, and b: String, in db: SQLiteConnection) throws -> Set<String> {
        Set(try db.all(
            "SELECT user_id FROM blocks WHERE (user_id = ? AND blocked_id = ?) OR (user_id = ? AND blocked_id = ?)",
            [.text(a), .text(b), .text(b), .text(a)]) { $0.text(0) })
    }
}
