import ParleyStore

extension PostgresStore {
    public func appendNotifications(_ notifications: [NewNotification]) async throws -> [NotificationRecord] {
        if notifications.isEmpty { return [] }
        return try await write { db in try await Self.insert(notifications, into: db.sql) }
    }

    /// Inserts notifications inside the caller's transaction, each with its user's next seq.
    /// One statement for the whole list: a group notice goes to thousands of members.
    static func insert(_ notifications: [NewNotification], into sql: SQLSession) async throws -> [NotificationRecord] {
        if notifications.isEmpty { return [] }
        // Users' current inbox heads, then seqs assigned here in list order.
        let users = Array(Set(notifications.map(\.userId)))
        let heads = try await sql.all(
            "SELECT u, COALESCE((SELECT MAX(seq) FROM notifications WHERE user_id = u), 0) FROM unnest($1::text[]) AS u",
            [.texts(users)]) { (try $0.text(0), try $0.int(1)) }
        var next = Dictionary(heads, uniquingKeysWith: max)
        var records: [NotificationRecord] = []
        records.reserveCapacity(notifications.count)
        for notification in notifications {
            let seq = (next[notification.userId] ?? 0) + 1
            next[notification.userId] = seq
            records.append(NotificationRecord(notification: notification, seq: seq))
        }
        func column(_ value: (NotificationRecord) -> String) -> PGValue { .texts(records.map(value)) }
        try await sql.run(
            """
            INSERT INTO notifications (user_id, seq, id, type, title, content, action_type, action_data, priority, created_at)
            SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                                 $8::text[], $9::text[], $10::bigint[])
            """,
            [column(\.notification.userId), .texts(records.map { String($0.seq) }), column(\.notification.id),
             column(\.notification.type), column(\.notification.title), column(\.notification.content),
             column(\.notification.actionType), column(\.notification.actionData), column(\.notification.priority),
             .texts(records.map { String($0.notification.createdAt) })])
        return records
    }

    public func notifications(userId: String, after seq: Int64, limit: Int) async throws -> NotificationPage {
        try await read { sql in
            let rows = try await sql.all(
                """
                SELECT seq, id, type, title, content, action_type, action_data, priority, created_at
                FROM notifications WHERE user_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
                """,
                [.text(userId), .integer(seq), .integer(Int64(limit + 1))]
            ) { row in
                NotificationRecord(
                    notification: NewNotification(
                        userId: userId, id: try row.text(1), type: try row.text(2), title: try row.text(3), content: try row.text(4),
                        actionType: try row.text(5), actionData: try row.text(6), priority: try row.text(7), createdAt: try row.int(8)),
                    seq: try row.int(0))
            }
            let latest = try await sql.first(
                "SELECT COALESCE(MAX(seq), 0) FROM notifications WHERE user_id = $1", [.text(userId)], { try $0.int(0) }) ?? 0
            return NotificationPage(notifications: Array(rows.prefix(limit)), latestSeq: latest, hasMore: rows.count > limit)
        }
    }
}
