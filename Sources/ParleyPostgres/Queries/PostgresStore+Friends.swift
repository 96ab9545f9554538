import ParleyStore

extension PostgresStore {
    private static let requestColumns = "id, kind, from_id, target_id, message, status, decided_by, created_at, decided_at, inviter_id"

    private static func request(_ row: PGRow) throws -> RequestRecord {
        RequestRecord(
            id: try row.text(0), kind: RequestKind(rawValue: try row.text(1)) ?? .friend, fromId: try row.text(2),
            targetId: try row.text(3), message: try row.text(4), status: RequestStatus(rawValue: try row.text(5)) ?? .pending,
            decidedBy: try row.optionalText(6), createdAt: try row.int(7), decidedAt: try row.optionalInt(8),
            inviterId: try row.optionalText(9))
    }

    public func createRequest(_ request: RequestRecord, notices: [NewNotification]) async throws -> [NotificationRecord] {
        try await write { db in
            do {
                try await db.sql.run(
                    "INSERT INTO requests (\(Self.requestColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    [.text(request.id), .text(request.kind.rawValue), .text(request.fromId), .text(request.targetId),
                     .text(request.message), .text(request.status.rawValue), PGValue(request.decidedBy),
                     .integer(request.createdAt), PGValue(request.decidedAt), PGValue(request.inviterId)])
            } catch StoreError.duplicate {
                throw StoreError.duplicate("pending request")
            }
            return try await Self.insert(notices, into: db.sql)
        }
    }

    public func request(id: String) async throws -> RequestRecord? {
        try await read { try await $0.first("SELECT \(Self.requestColumns) FROM requests WHERE id = $1", [.text(id)], Self.request) }
    }

    public func pendingRequest(kind: RequestKind, fromId: String, targetId: String) async throws -> RequestRecord? {
        try await read {
            try await $0.first(
                "SELECT \(Self.requestColumns) FROM requests WHERE kind = $1 AND from_id = $2 AND target_id = $3 AND status = 'pending'",
                [.text(kind.rawValue), .text(fromId), .text(targetId)], Self.request)
        }
    }

    public func pendingRequests(kind: RequestKind, involving ids: [String], limit: Int) async throws -> [RequestRecord] {
        if ids.isEmpty { return [] }
        return try await read {
            try await $0.all(
                """
                SELECT \(Self.requestColumns) FROM requests
                WHERE status = 'pending' AND kind = $1 AND (from_id = ANY($2) OR target_id = ANY($2))
                ORDER BY created_at DESC, id DESC LIMIT $3
                """,
                [.text(kind.rawValue), .texts(ids), .integer(Int64(limit))], Self.request)
        }
    }

    public func decideRequest(
        id: String, accept: Bool, by deciderId: String, at time: Int64, notices: [NewNotification], groupCapacity: Int
    ) async throws -> [NotificationRecord]? {
        try await write { db in
            guard let request = try await db.sql.first(
                "SELECT \(Self.requestColumns) FROM requests WHERE id = $1 AND status = 'pending' FOR UPDATE", [.text(id)], Self.request)
            else { return nil }
            try await db.sql.run(
                "UPDATE requests SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4",
                [.text(accept ? "accepted" : "rejected"), .text(deciderId), .integer(time), .text(id)])
            if accept {
                switch request.kind {
                case .friend:
                    try await db.sql.run(
                        "INSERT INTO friendships VALUES ($1, $2, $3), ($2, $1, $3) ON CONFLICT DO NOTHING",
                        [.text(request.fromId), .text(request.targetId), .integer(time)])
                    // A crossing request the other way is settled by this one.
                    try await db.sql.run(
                        """
                        UPDATE requests SET status = 'accepted', decided_by = $1, decided_at = $2
                        WHERE kind = 'friend' AND from_id = $3 AND target_id = $4 AND status = 'pending'
                        """,
                        [.text(deciderId), .integer(time), .text(request.targetId), .text(request.fromId)])
                case .groupJoin, .groupInvitation:
                    // The row lock orders concurrent joins (other nodes' writers) for the capacity check.
                    guard try await db.sql.first(
                        "SELECT 1 FROM groups WHERE id = $1 AND dismissed_at IS NULL FOR UPDATE", [.text(request.targetId)], { _ in true }) != nil
                    else { throw StoreError.notFound("group") }
                    try await Self.addMembers([request.fromId], toGroup: request.targetId, capacity: groupCapacity, at: time, db: db)
                }
            }
            return try await Self.insert(notices, into: db.sql)
        }
    }

    public func friends(of userId: String) async throws -> [FriendRecord] {
        try await read {
            try await $0.all(
                "SELECT friend_id, created_at FROM friendships WHERE user_id = $1 ORDER BY created_at, friend_id", [.text(userId)]
            ) { FriendRecord(userId: try $0.text(0), since: try $0.int(1)) }
        }
    }

    public func areFriends(_ a: String, _ b: String) async throws -> Bool {
        try await read {
            try await $0.first("SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2", [.text(a), .text(b)], { _ in true }) ?? false
        }
    }

    public func removeFriendship(_ a: String, _ b: String, notices: [NewNotification]) async throws -> [NotificationRecord]? {
        try await write { db in
            let removed = try await db.sql.count(
                "DELETE FROM friendships WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1) RETURNING 1",
                [.text(a), .text(b)])
            guard removed > 0 else { return nil }
            return try await Self.insert(notices, into: db.sql)
        }
    }

    public func setBlock(userId: String, targetId: String, blocked: Bool, at time: Int64) async throws -> Bool {
        try await write { db in
            if blocked {
                return try await db.sql.count(
                    "INSERT INTO blocks VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1",
                    [.text(userId), .text(targetId), .integer(time)]) > 0
            }
            return try await db.sql.count(
                "DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2 RETURNING 1", [.text(userId), .text(targetId)]) > 0
        }
    }

    public func blocks(of userId: String) async throws -> [BlockRecord] {
        try await read {
            try await $0.all(
                "SELECT blocked_id, created_at FROM blocks WHERE user_id = $1 ORDER BY created_at, blocked_id", [.text(userId)]
            ) { BlockRecord(userId: try $0.text(0), since: try $0.int(1)) }
        }
    }

    public func blockers(of userId: String) async throws -> [String] {
        try await read { try await $0.all("SELECT user_id FROM blocks WHERE blocked_id = $1", [.text(userId)]) { try $0.text(0) } }
    }

    public func blockers(between a: String, and b: String) async throws -> Set<String> {
        try await read {
            Set(try await $0.all(
                "SELECT user_id FROM blocks WHERE (user_id = $1 AND blocked_id = $2) OR (user_id = $2 AND blocked_id = $1)",
                [.text(a), .text(b)]) { try $0.text(0) })
        }
    }
}
