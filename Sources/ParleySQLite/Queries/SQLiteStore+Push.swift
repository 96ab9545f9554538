import ParleyStore

extension SQLiteStore {
    private static let pushTokenColumns = "id, user_id, provider, token, device_id, sandbox, login_id, created_at"

    private static func pushToken(_ row: SQLRow) -> PushTokenRecord {
        PushTokenRecord(
            id: row.text(0), userId: row.text(1), provider: row.text(2), token: row.text(3), deviceId: row.text(4),
            sandbox: row.bool(5), loginId: row.optionalText(6), createdAt: row.int(7))
    }

    public func savePushToken(_ token: PushTokenRecord, limit: Int) async throws -> PushTokenRecord {
        try await write { db in
            let held = try db.first(
                "SELECT COUNT(*) FROM push_tokens WHERE user_id = ? AND NOT (provider = ? AND token = ?)",
                [.text(token.userId), .text(token.provider), .text(token.token)], { $0.int(0) }) ?? 0
            if held >= limit { throw StoreError.full("push tokens") }
            // One row per (provider, token): the same token again updates it (and keeps its id),
            // wherever it was registered before.
            return try db.first(
                """
                INSERT INTO push_tokens (\(Self.pushTokenColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (provider, token) DO UPDATE SET user_id = excluded.user_id, device_id = excluded.device_id,
                    sandbox = excluded.sandbox, login_id = excluded.login_id
                RETURNING \(Self.pushTokenColumns)
                """,
                [.text(token.id), .text(token.userId), .text(token.provider), .text(token.token), .text(token.deviceId),
                 SQLValue(token.sandbox), SQLValue(token.loginId), .integer(token.createdAt)],
                Self.pushToken) ?? token
        }
    }

    public func pushTokens(userIds: [String]) async throws -> [PushTokenRecord] {
        if userIds.isEmpty { return [] }
        return try await read { db in
            let marks = Array(repeating: "?", count: userIds.count).joined(separator: ",")
            return try db.all(
                "SELECT \(Self.pushTokenColumns) FROM push_tokens WHERE user_id IN (\(marks)) ORDER BY created_at, id",
                userIds.map { .text($0) }, Self.pushToken)
        }
    }

    public func membersWithPushTokens(conversationId: String) async throws -> [String] {
        try await read { db in
            try db.all(
                """
                SELECT DISTINCT m.user_id FROM members m JOIN push_tokens t ON t.user_id = m.user_id
                WHERE m.conversation_id = ? ORDER BY m.user_id
                """,
                [.text(conversationId)], { $0.text(0) })
        }
    }

    public func deletePushToken(id: String, userId: String) async throws -> Bool {
        try await write { db in
            try db.run("DELETE FROM push_tokens WHERE id = ? AND user_id = ?", [.text(id), .text(userId)])
            return db.changes > 0
        }
    }

    public func deletePushTokens(userId: String, loginId: String?) async throws {
        try await write { db in
            if let loginId {
                try db.run("DELETE FROM push_tokens WHERE user_id = ? AND login_id = ?", [.text(userId), .text(loginId)])
            } else {
                try db.run("DELETE FROM push_tokens WHERE user_id = ?", [.text(userId)])
            }
        }
    }

    public func pushSettings(userId: String) async throws -> PushSettingsRecord {
        try await read { db in
            try db.first(
                "SELECT enabled, preview, quiet_start, quiet_end, time_zone FROM push_settings WHERE user_id = ?", [.text(userId)]
            ) { row in
                PushSettingsRecord(
                    enabled: row.bool(0), preview: row.bool(1),
                    quietHours: row.optionalInt(2).flatMap { start in
                        row.optionalInt(3).map { end in
                            PushSettingsRecord.QuietHours(startMinute: Int(start), endMinute: Int(end), timeZone: row.optionalText(4) ?? "UTC")
                        }
                    })
            } ?? PushSettingsRecord()
        }
    }

    public func savePushSettings(userId: String, _ settings: PushSettingsRecord) async throws {
        try await write { db in
            try db.run(
                """
                INSERT INTO push_settings (user_id, enabled, preview, quiet_start, quiet_end, time_zone) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (user_id) DO UPDATE SET enabled = excluded.enabled, preview = excluded.preview,
                    quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, time_zone = excluded.time_zone
                """,
                [.text(userId), SQLValue(settings.enabled), SQLValue(settings.preview),
                 SQLValue(settings.quietHours.map { Int64($0.startMinute) }), SQLValue(settings.quietHours.map { Int64($0.endMinute) }),
                 SQLValue(settings.quietHours?.timeZone)])
        }
    }
}

extension SQLiteStore {
    private static let pushLogColumns =
        "id, user_id, message_id, conversation_id, provider, token_id, status, reason, attempts, created_at, sent_at"

    private static func pushLogEntry(_ row: SQLRow) -> PushLogRecord {
        PushLogRecord(
            id: row.text(0), userId: row.text(1), messageId: row.text(2), conversationId: row.text(3), provider: row.text(4),
            tokenId: row.text(5), status: PushLogRecord.Status(rawValue: row.text(6)) ?? .failed, reason: row.optionalText(7),
            attempts: Int(row.int(8)), createdAt: row.int(9), sentAt: row.optionalInt(10))
    }

    public func pushLogEntries(ids: [String]) async throws -> [PushLogRecord] {
        if ids.isEmpty { return [] }
        return try await read { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            return try db.all("SELECT \(Self.pushLogColumns) FROM push_log WHERE id IN (\(marks))", ids.map { .text($0) }, Self.pushLogEntry)
        }
    }

    public func savePushLog(_ entries: [PushLogRecord]) async throws {
        if entries.isEmpty { return }
        try await write { db in
            for e in entries {
                // A final entry (sent, failed, skipped) is never changed again: a second worker
                // cannot turn a sent push back into a pending one.
                try db.run(
                    """
                    INSERT INTO push_log (\(Self.pushLogColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET message_id = excluded.message_id, status = excluded.status, reason = excluded.reason,
                        attempts = excluded.attempts, sent_at = excluded.sent_at
                    WHERE push_log.status = 'pending'
                    """,
                    [.text(e.id), .text(e.userId), .text(e.messageId), .text(e.conversationId), .text(e.provider), .text(e.tokenId),
                     .text(e.status.rawValue), SQLValue(e.reason), .integer(Int64(e.attempts)), .integer(e.createdAt), SQLValue(e.sentAt)])
            }
        }
    }

    public func pushLog(userId: String?, limit: Int) async throws -> [PushLogRecord] {
        try await read { db in
            if let userId {
                return try db.all(
                    "SELECT \(Self.pushLogColumns) FROM push_log WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
                    [.text(userId), .integer(Int64(limit))], Self.pushLogEntry)
            }
            return try db.all(
                "SELECT \(Self.pushLogColumns) FROM push_log ORDER BY created_at DESC, id DESC LIMIT ?", [.integer(Int64(limit))],
                Self.pushLogEntry)
        }
    }

    public func prunePushLog(before: Int64) async throws -> Int {
        try await write { db in
            try db.run("DELETE FROM push_log WHERE created_at < ?", [.integer(before)])
            return Int(db.changes)
        }
    }

    public func unreadTotal(userId: String) async throws -> Int64 {
        try await read { db in
            try db.first(
                """
                SELECT COUNT(*) FROM (SELECT 1 FROM members m JOIN conversations c ON c.id = m.conversation_id
                JOIN messages x ON x.conversation_id = m.conversation_id AND x.seq > m.read_seq
                WHERE m.user_id = ? AND c.last_seq > m.read_seq AND x.sender_id <> ? AND x.is_event = 0 AND x.recalled = 0
                LIMIT 1000) AS capped
                """,
                [.text(userId), .text(userId)], { $0.int(0) }) ?? 0
        }
    }
}
