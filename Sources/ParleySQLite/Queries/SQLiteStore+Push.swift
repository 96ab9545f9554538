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
