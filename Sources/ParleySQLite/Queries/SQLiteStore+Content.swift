import ParleyStore

extension SQLiteStore {
    public func messages(ids: [String]) async throws -> [MessageRecord] {
        if ids.isEmpty { return [] }
        return try await read { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            return try db.all("SELECT \(Self.messageColumns) FROM messages WHERE message_id IN (\(marks))", ids.map { .text($0) }, Self.message)
        }
    }

    public func editMessage(_ edit: NewEdit) async throws -> EditOutcome {
        try await write { db in
            guard var original = try db.first(
                "SELECT \(Self.messageColumns) FROM messages WHERE message_id = ? AND conversation_id = ?",
                [.text(edit.messageId), .text(edit.conversationId)], Self.message), let previous = original.content
            else {
                throw StoreError.notFound("message")
            }
            let version = (try db.first(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM message_edits WHERE message_id = ?", [.text(edit.messageId)], { $0.int(0) })) ?? 1
            try db.run(
                "INSERT INTO message_edits (message_id, version, content, replaced_at) VALUES (?, ?, ?, ?)",
                [.text(edit.messageId), .integer(version), .text(previous), .integer(edit.createdAt)])
            guard let seq = try db.first(
                "UPDATE conversations SET last_seq = last_seq + 1, version = ?, updated_at = ? WHERE id = ? RETURNING last_seq",
                [.integer(self.nextVersion()), .integer(edit.createdAt), .text(edit.conversationId)], { $0.int(0) })
            else { throw StoreError.notFound("conversation") }
            let event = MessageRecord(
                conversationId: edit.conversationId, seq: seq, messageId: edit.eventId, senderId: edit.editedBy, localId: nil,
                contentType: "edit", content: #"{"messageId":"\#(edit.messageId)"}"#, atUsers: [], replyTo: edit.messageId,
                createdAt: edit.createdAt, recalled: false, isEvent: true)
            try Self.insert(event, into: db)
            try db.run(
                "UPDATE messages SET content = ?, edited_at = ? WHERE message_id = ?",
                [.text(edit.content), .integer(edit.createdAt), .text(edit.messageId)])
            try Self.forgetSearchText(of: edit.messageId, in: db)
            if let text = edit.searchText, !text.isEmpty {
                try db.run(
                    "INSERT INTO message_search (body, message_id, conversation_id, created_at) VALUES (?, ?, ?, ?)",
                    [.text(text), .text(edit.messageId), .text(edit.conversationId), .integer(original.createdAt)])
            }
            original.content = edit.content
            original.editedAt = edit.createdAt
            return EditOutcome(message: original, event: event)
        }
    }

    public func edits(messageId: String) async throws -> [EditRecord] {
        try await read { db in
            try db.all(
                "SELECT content, replaced_at FROM message_edits WHERE message_id = ? ORDER BY version", [.text(messageId)]
            ) { EditRecord(content: $0.text(0), replacedAt: $0.int(1)) }
        }
    }

    public func hideMessages(userId: String, conversationId: String, messageIds: [String], at time: Int64, notices: [NewNotification]) async throws -> [NotificationRecord] {
        try await write { db in
            for id in Set(messageIds) {
                try db.run(
                    "INSERT OR IGNORE INTO hidden_messages (user_id, message_id, conversation_id, hidden_at) VALUES (?, ?, ?, ?)",
                    [.text(userId), .text(id), .text(conversationId), .integer(time)])
            }
            // The user's view of the conversation changed: their other devices' sync sees it.
            try db.run(
                "UPDATE members SET version = ? WHERE conversation_id = ? AND user_id = ?",
                [.integer(self.nextVersion()), .text(conversationId), .text(userId)])
            return try Self.insert(notices, into: db)
        }
    }

    public func hiddenMessageIds(userId: String, among messageIds: [String]) async throws -> Set<String> {
        if messageIds.isEmpty { return [] }
        return try await read { db in
            let marks = Array(repeating: "?", count: messageIds.count).joined(separator: ",")
            return Set(try db.all(
                "SELECT message_id FROM hidden_messages WHERE user_id = ? AND message_id IN (\(marks))",
                [.text(userId)] + messageIds.map { .text($0) }) { $0.text(0) })
        }
    }

    public func setReaction(_ reaction: ReactionRecord, conversationId: String, add: Bool, at time: Int64) async throws -> Bool {
        try await write { db in
            if add {
                try db.run(
                    "INSERT OR IGNORE INTO reactions (message_id, user_id, emoji, conversation_id, created_at) VALUES (?, ?, ?, ?, ?)",
                    [.text(reaction.messageId), .text(reaction.userId), .text(reaction.emoji), .text(conversationId), .integer(time)])
            } else {
                try db.run(
                    "DELETE FROM reactions WHERE message_id = ? AND user_id = ? AND emoji = ?",
                    [.text(reaction.messageId), .text(reaction.userId), .text(reaction.emoji)])
            }
            return db.changes > 0
        }
    }

    public func reactions(messageIds: [String]) async throws -> [ReactionRecord] {
        if messageIds.isEmpty { return [] }
        return try await read { db in
            let marks = Array(repeating: "?", count: messageIds.count).joined(separator: ",")
            return try db.all(
                "SELECT message_id, user_id, emoji FROM reactions WHERE message_id IN (\(marks)) ORDER BY created_at, user_id",
                messageIds.map { .text($0) }) { ReactionRecord(messageId: $0.text(0), userId: $0.text(1), emoji: $0.text(2)) }
        }
    }

    public func searchMessages(_ search: MessageSearch) async throws -> [SearchHit] {
        try await read { db in
            // The index, and the texts of the last moments' sends not yet moved into it: a
            // message is found from its ack on. A text is in one of the two, never both.
            let hits = try Self.searchMessages(search, in: "message_search", db: db)
                + Self.searchMessages(search, in: "search_backlog", db: db)
            return hits.sorted { ($0.message.createdAt, $0.message.messageId) > ($1.message.createdAt, $1.message.messageId) }
                .prefix(search.limit).map { $0 }
        }
    }

    private static func searchMessages(_ search: MessageSearch, in table: String, db: SQLiteConnection) throws -> [SearchHit] {
        var sql = """
            SELECT s.body, \(Self.messageColumns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
            FROM \(table) s JOIN messages m ON m.message_id = s.message_id
            WHERE s.body LIKE ? ESCAPE '\\'
              AND s.conversation_id IN (SELECT conversation_id FROM members WHERE user_id = ?)
              AND s.message_id NOT IN (SELECT message_id FROM hidden_messages WHERE user_id = ?)
            """
        var values: [SQLValue] = [.text(StoredText.containing(search.text)), .text(search.userId), .text(search.userId)]
        if let id = search.conversationId { sql += " AND s.conversation_id = ?"; values.append(.text(id)) }
        if let sender = search.senderId { sql += " AND m.sender_id = ?"; values.append(.text(sender)) }
        if let from = search.from { sql += " AND m.created_at >= ?"; values.append(.integer(from)) }
        if let to = search.to { sql += " AND m.created_at < ?"; values.append(.integer(to)) }
        if let type = search.contentType { sql += " AND m.content_type = ?"; values.append(.text(type)) }
        if let after = search.after {
            sql += " AND (m.created_at < ? OR (m.created_at = ? AND m.message_id < ?))"
            values += [.integer(after.createdAt), .integer(after.createdAt), .text(after.messageId)]
        }
        sql += " ORDER BY m.created_at DESC, m.message_id DESC LIMIT ?"
        values.append(.integer(Int64(search.limit)))
        return try db.all(sql, values) { row in
            SearchHit(
                message: MessageRecord(
                    conversationId: row.text(1), seq: row.int(2), messageId: row.text(3), senderId: row.text(4),
                    localId: row.optionalText(5), contentType: row.text(6), content: row.optionalText(7),
                    atUsers: Self.decodeList(row.optionalText(8)), replyTo: row.optionalText(9), createdAt: row.int(10),
                    recalled: row.bool(11), isEvent: row.bool(12), editedAt: row.optionalInt(13)),
                text: row.text(0))
        }
    }

    public func searchUsers(_ text: String, limit: Int) async throws -> [UserRecord] {
        let ids = try await read { db in
            try db.all(
                "SELECT id FROM users WHERE username LIKE ? ESCAPE '\\' OR display_name LIKE ? ESCAPE '\\' ORDER BY username LIMIT ?",
                [.text(StoredText.containing(text)), .text(StoredText.containing(text)), .integer(Int64(limit))]) { $0.text(0) }
        }
        let users = try await self.users(ids: ids)
        return ids.compactMap { id in users.first { $0.id == id } }
    }

    public func searchGroups(_ text: String, limit: Int) async throws -> [(group: GroupRecord, members: Int)] {
        let ids = try await read { db in
            try db.all(
                "SELECT id FROM groups WHERE dismissed_at IS NULL AND name LIKE ? ESCAPE '\\' ORDER BY created_at DESC LIMIT ?",
                [.text(StoredText.containing(text)), .integer(Int64(limit))]) { $0.text(0) }
        }
        var found: [(group: GroupRecord, members: Int)] = []
        for id in ids {
            guard let group = try await self.group(id: id) else { continue }
            found.append((group, try await memberIds(conversationId: group.conversationId).count))
        }
        return found
    }
}
