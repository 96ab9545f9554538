import ParleyStore

extension SQLiteStore {
    public func appendNotifications(_ notifications: [NewNotification]) async throws -> [NotificationRecord] {
        if notifications.isEmpty { return [] }
        return try await write { db in try Self.insert(notifications, into: db) }
    }

    /// Inserts notifications inside the caller's transaction, each with its user's next seq.
    static func insert(_ notifications: [NewNotification], into db: SQLiteConnection) throws -> [NotificationRecord] {
        var next: [String: Int64] = [:]
        var records: [NotificationRecord] = []
        records.reserveCapacity(notifications.count)
        for notification in notifications {
            let seq: Int64
            if let known = next[notification.userId] {
                seq = known
            } else {
                seq = (try db.first(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM notifications WHERE user_id = ?",
                    [.text(notification.userId)], { $0.int(0) })) ?? 1
            }
            next[notification.userId] = seq + 1
            try db.run(
                """
                INSERT INTO notifications (user_id, seq, id, type, title, content, action_type, action_data, priority, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [.text(notification.userId), .integer(seq), .text(notification.id), .text(notification.type),
                 .text(notification.title), .text(notification.content), .text(notification.actionType),
                 .text(notification.actionData), .text(notification.priority), .integer(notification.createdAt)])
            records.append(NotificationRecord(notification: notification, seq: seq))
        }
        return records
    }

    public func notifications(userId: String, after seq: Int64, limit: Int) async throws -> NotificationPage {
        try await read { db in
            let rows = try db.all(
                """
                SELECT seq, id, type, title, content, action_type, action_data, priority, created_at
                FROM notifications WHERE user_id = ? AND seq > ? ORDER BY seq LIMIT ?
                """,
                [.text(userId), .integer(seq), .integer(Int64(limit + 1))]
            ) { row in
                NotificationRecord(
                    notification: NewNotification(
                        userId: userId, id: row.text(1), type: row.text(2), title: row.text(3), content: row.text(4),
                        actionType: row.text(5), actionData: row.text(6), priority: row.text(7), createdAt: row.int(8)),
                    seq: row.int(0))
            }
            let latest = try db.first("SELECT COALESCE(MAX(seq), 0) FROM notifications WHERE user_id = ?", [.text(userId)], { $0.int(0) }) ?? 0
            return NotificationPage(notifications: Array(rows.prefix(limit)), latestSeq: latest, hasMore: rows.count > limit)
        }
    }
}
