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
