import ParleyStore

extension PostgresStore {
    private static let pushTokenColumns = "id, user_id, provider, token, device_id, sandbox, login_id, created_at"

    private static func pushToken(_ row: PGRow) throws -> PushTokenRecord {
        PushTokenRecord(
            id: try row.text(0), userId: try row.text(1), provider: try row.text(2), token: try row.text(3),
            deviceId: try row.text(4), sandbox: try row.bool(5), loginId: try row.optionalText(6), createdAt: try row.int(7))
    }

    public func savePushToken(_ token: PushTokenRecord, limit: Int) async throws -> PushTokenRecord {
        try await write { db in
            // Registrations of one user are ordered by a lock on the user's row.
            _ = try await db.sql.first("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", [.text(token.userId)], { _ in true })
            let held = try await db.sql.first(
                "SELECT COUNT(*) FROM push_tokens WHERE user_id = $1 AND NOT (provider = $2 AND token = $3)",
                [.text(token.userId), .text(token.provider), .text(token.token)], { try $0.int(0) }) ?? 0
            if held >= limit { throw StoreError.full("push tokens") }
            // One row per (provider, token): the same token again updates it (and keeps its id),
            // wherever it was registered before.
            return try await db.sql.first(
                """
                INSERT INTO push_tokens (\(Self.pushTokenColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (provider, token) DO UPDATE SET user_id = EXCLUDED.user_id, device_id = EXCLUDED.device_id,
                    sandbox = EXCLUDED.sandbox, login_id = EXCLUDED.login_id
                RETURNING \(Self.pushTokenColumns)
                """,
                [.text(token.id), .text(token.userId), .text(token.provider), .text(token.token), .text(token.deviceId),
                 .bool(token.sandbox), PGValue(token.loginId), .integer(token.createdAt)],
                Self.pushToken) ?? token
        }
    }

    public func pushTokens(userIds: [String]) async throws -> [PushTokenRecord] {
        if userIds.isEmpty { return [] }
        return try await read {
            try await $0.all(
                "SELECT \(Self.pushTokenColumns) FROM push_tokens WHERE user_id = ANY($1) ORDER BY created_at, id", [.texts(userIds)],
                Self.pushToken)
        }
    }

    public func membersWithPushTokens(conversationId: String) async throws -> [String] {
        try await read {
            try await $0.all(
                """
                SELECT DISTINCT m.user_id FROM members m JOIN push_tokens t ON t.user_id = m.user_id
                WHERE m.conversation_id = $1 ORDER BY m.user_id
                """,
                [.text(conversationId)], { try $0.text(0) })
        }
    }

    public func deletePushToken(id: String, userId: String) async throws -> Bool {
        try await write { db in
            try await db.sql.count("DELETE FROM push_tokens WHERE id = $1 AND user_id = $2 RETURNING 1", [.text(id), .text(userId)]) > 0
        }
    }

    public func deletePushTokens(userId: String, loginId: String?) async throws {
        try await write { db in
            if let loginId {
                try await db.sql.run("DELETE FROM push_tokens WHERE user_id = $1 AND login_id = $2", [.text(userId), .text(loginId)])
            } else {
                try await db.sql.run("DELETE FROM push_tokens WHERE user_id = $1", [.text(userId)])
            }
        }
    }

    public func pushSettings(userId: String) async throws -> PushSettingsRecord {
        try await read {
            try await $0.first(
                "SELECT enabled, preview, quiet_start, quiet_end, time_zone FROM push_settings WHERE user_id = $1", [.text(userId)]
            ) { row in
                let start = try row.optionalInt(2), end = try row.optionalInt(3), zone = try row.optionalText(4)
                return PushSettingsRecord(
                    enabled: try row.bool(0), preview: try row.bool(1),
                    quietHours: start.flatMap { start in
                        end.map { PushSettingsRecord.QuietHours(startMinute: Int(start), endMinute: Int($0), timeZone: zone ?? "UTC") }
                    })
            } ?? PushSettingsRecord()
        }
    }

    public func savePushSettings(userId: String, _ settings: PushSettingsRecord) async throws {
        try await write { db in
            try await db.sql.run(
                """
                INSERT INTO push_settings (user_id, enabled, preview, quiet_start, quiet_end, time_zone) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (user_id) DO UPDATE SET enabled = EXCLUDED.enabled, preview = EXCLUDED.preview,
                    quiet_start = EXCLUDED.quiet_start, quiet_end = EXCLUDED.quiet_end, time_zone = EXCLUDED.time_zone
                """,
                [.text(userId), .bool(settings.enabled), .bool(settings.preview),
                 PGValue(settings.quietHours.map { Int64($0.startMinute) }), PGValue(settings.quietHours.map { Int64($0.endMinute) }),
                 PGValue(settings.quietHours?.timeZone)])
        }
    }
}

extension PostgresStore {
    private static let pushLogColumns =
        "id, user_id, message_id, conversation_id, provider, token_id, status, reason, attempts, created_at, sent_at"

    private static func pushLogEntry(_ row: PGRow) throws -> PushLogRecord {
        PushLogRecord(
            id: try row.text(0), userId: try row.text(1), messageId: try row.text(2), conversationId: try row.text(3),
            provider: try row.text(4), tokenId: try row.text(5), status: PushLogRecord.Status(rawValue: try row.text(6)) ?? .failed,
            reason: try row.optionalText(7), attempts: Int(try row.int(8)), createdAt: try row.int(9), sentAt: try row.optionalInt(10))
    }

    public func pushLogEntries(ids: [String]) async throws -> [PushLogRecord] {
        if ids.isEmpty { return [] }
        return try await read {
            try await $0.all("SELECT \(Self.pushLogColumns) FROM push_log WHERE id = ANY($1)", [.texts(ids)], Self.pushLogEntry)
        }
    }

    public func savePushLog(_ entries: [PushLogRecord]) async throws {
        if entries.isEmpty { return }
        try await write { db in
            for e in entries {
                try await db.sql.run(
                    """
                    INSERT INTO push_log (\(Self.pushLogColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                    ON CONFLICT (id) DO UPDATE SET message_id = EXCLUDED.message_id, status = EXCLUDED.status, reason = EXCLUDED.reason,
                        attempts = EXCLUDED.attempts, sent_at = EXCLUDED.sent_at
                    WHERE push_log.status = 'pending'
                    """,
                    [.text(e.id), .text(e.userId), .text(e.messageId), .text(e.conversationId), .text(e.provider), .text(e.tokenId),
                     .text(e.status.rawValue), PGValue(e.reason), .integer(Int64(e.attempts)), .integer(e.createdAt), PGValue(e.sentAt)])
            }
        }
    }

    public func pushLog(userId: String?, limit: Int) async throws -> [PushLogRecord] {
        try await read {
            if let userId {
                return try await $0.all(
                    "SELECT \(Self.pushLogColumns) FROM push_log WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
                    [.text(userId), .integer(Int64(limit))], Self.pushLogEntry)
            }
            return try await $0.all(
                "SELECT \(Self.pushLogColumns) FROM push_log ORDER BY created_at DESC, id DESC LIMIT $1", [.integer(Int64(limit))],
                Self.pushLogEntry)
        }
    }

    public func prunePushLog(before: Int64) async throws -> Int {
        try await write { db in
            try await db.sql.first(
                "WITH gone AS (DELETE FROM push_log WHERE created_at < $1 RETURNING 1) SELECT COUNT(*) FROM gone", [.integer(before)],
                { Int(try $0.int(0)) }) ?? 0
        }
    }

    public func unreadTotal(userId: String) async throws -> Int64 {
        try await read {
            try await $0.first(
                """
                SELECT COUNT(*) FROM (SELECT 1 FROM members m JOIN conversations c ON c.id = m.conversation_id
                JOIN messages x ON x.conversation_id = m.conversation_id AND x.seq > m.read_seq
                WHERE m.user_id = $1 AND c.last_seq > m.read_seq AND x.sender_id <> $1 AND NOT x.is_event AND NOT x.recalled
                LIMIT 1000) AS capped
                """,
                [.text(userId)], { try $0.int(0) }) ?? 0
        }
    }
}
