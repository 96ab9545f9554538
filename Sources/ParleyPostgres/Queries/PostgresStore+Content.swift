import ParleyStore

extension PostgresStore {
    private static var prefixedColumns: String {
        messageColumns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")
    }

    public func messages(ids: [String]) async throws -> [MessageRecord] {
        if ids.isEmpty { return [] }
        return try await read {
            try await $0.all(
                """
                SELECT \(Self.prefixedColumns) FROM message_refs r JOIN messages m
                  ON m.conversation_id = r.conversation_id AND m.seq = r.seq AND m.created_at = r.created_at
                WHERE r.message_id = ANY($1)
                """,
                [.texts(ids)], Self.message)
        }
    }

    public func editMessage(_ edit: NewEdit) async throws -> EditOutcome {
        try await write { db in
            guard var original = try await Self.message(id: edit.messageId, in: db.sql), original.conversationId == edit.conversationId,
                let previous = original.content
            else {
                throw StoreError.notFound("message")
            }
            try await db.sql.run(
                """
                INSERT INTO message_edits (message_id, version, content, replaced_at)
                SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3 FROM message_edits WHERE message_id = $1
                """,
                [.text(edit.messageId), .text(previous), .integer(edit.createdAt)])
            guard let seq = try await db.sql.first(
                "UPDATE conversations SET last_seq = last_seq + 1, version = $1, updated_at = $2 WHERE id = $3 RETURNING last_seq",
                [.integer(db.nextVersion()), .integer(edit.createdAt), .text(edit.conversationId)], { try $0.int(0) })
            else { throw StoreError.notFound("conversation") }
            let event = MessageRecord(
                conversationId: edit.conversationId, seq: seq, messageId: edit.eventId, senderId: edit.editedBy, localId: nil,
                contentType: "edit", content: #"{"messageId":"\#(edit.messageId)"}"#, atUsers: [], replyTo: edit.messageId,
                createdAt: edit.createdAt, recalled: false, isEvent: true)
            try await Self.insert(event, into: db.sql)
            try await db.sql.run(
                "UPDATE messages SET content = $1, edited_at = $2 WHERE conversation_id = $3 AND seq = $4 AND created_at = $5",
                [.text(edit.content), .integer(edit.createdAt), .text(original.conversationId), .integer(original.seq),
                 .integer(original.createdAt)])
            original.content = edit.content
            original.editedAt = edit.createdAt
            return EditOutcome(message: original, event: event)
        }
    }

    public func edits(messageId: String) async throws -> [EditRecord] {
        try await read {
            try await $0.all(
                "SELECT content, replaced_at FROM message_edits WHERE message_id = $1 ORDER BY version", [.text(messageId)]
            ) { EditRecord(content: try $0.text(0), replacedAt: try $0.int(1)) }
        }
    }

    public func hideMessages(userId: String, conversationId: String, messageIds: [String], at time: Int64, notices: [NewNotification]) async throws -> [NotificationRecord] {
        try await write { db in
            try await db.sql.run(
                """
                INSERT INTO hidden_messages (user_id, message_id, conversation_id, hidden_at)
                SELECT $1, id, $2, $3 FROM unnest($4::text[]) AS id ON CONFLICT DO NOTHING
                """,
                [.text(userId), .text(conversationId), .integer(time), .texts(Array(Set(messageIds)))])
            try await db.sql.run(
                "UPDATE members SET version = $1 WHERE conversation_id = $2 AND user_id = $3",
                [.integer(db.nextVersion()), .text(conversationId), .text(userId)])
            return try await Self.insert(notices, into: db.sql)
        }
    }

    public func hiddenMessageIds(userId: String, among messageIds: [String]) async throws -> Set<String> {
        if messageIds.isEmpty { return [] }
        return try await read {
            Set(try await $0.all(
                "SELECT message_id FROM hidden_messages WHERE user_id = $1 AND message_id = ANY($2)",
                [.text(userId), .texts(messageIds)]) { try $0.text(0) })
        }
    }

    public func setReaction(_ reaction: ReactionRecord, conversationId: String, add: Bool, at time: Int64) async throws -> Bool {
        try await write { db in
            if add {
                return try await db.sql.count(
                    "INSERT INTO reactions VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
                    [.text(reaction.messageId), .text(reaction.userId), .text(reaction.emoji), .text(conversationId), .integer(time)]) > 0
            }
            return try await db.sql.count(
                "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3 RETURNING 1",
                [.text(reaction.messageId), .text(reaction.userId), .text(reaction.emoji)]) > 0
        }
    }

    public func reactions(messageIds: [String]) async throws -> [ReactionRecord] {
        if messageIds.isEmpty { return [] }
        return try await read {
            try await $0.all(
                "SELECT message_id, user_id, emoji FROM reactions WHERE message_id = ANY($1) ORDER BY created_at, user_id",
                [.texts(messageIds)]) { ReactionRecord(messageId: try $0.text(0), userId: try $0.text(1), emoji: try $0.text(2)) }
        }
    }

    public func searchMessages(_ search: MessageSearch) async throws -> [SearchHit] {
        try await read { sql in
            var query = """
                SELECT m.search_text, \(Self.prefixedColumns) FROM messages m
                WHERE m.search_text ILIKE $1
                  AND m.conversation_id IN (SELECT conversation_id FROM members WHERE user_id = $2)
                  AND m.message_id NOT IN (SELECT message_id FROM hidden_messages WHERE user_id = $2)
                  AND NOT m.recalled
                """
            var values: [PGValue] = [.text(StoredText.containing(search.text)), .text(search.userId)]
            func bind(_ value: PGValue) -> String {
                values.append(value)
                return "$\(values.count)"
            }
            if let id = search.conversationId { query += " AND m.conversation_id = \(bind(.text(id)))" }
            if let sender = search.senderId { query += " AND m.sender_id = \(bind(.text(sender)))" }
            if let from = search.from { query += " AND m.created_at >= \(bind(.integer(from)))" }
            if let to = search.to { query += " AND m.created_at < \(bind(.integer(to)))" }
            if let type = search.contentType { query += " AND m.content_type = \(bind(.text(type)))" }
            if let after = search.after {
                let at = bind(.integer(after.createdAt))
                query += " AND (m.created_at < \(at) OR (m.created_at = \(at) AND m.message_id < \(bind(.text(after.messageId)))))"
            }
            query += " ORDER BY m.created_at DESC, m.message_id DESC LIMIT \(bind(.integer(Int64(search.limit))))"
            return try await sql.all(query, values) { row in
                let message = MessageRecord(
                    conversationId: try row.text(1), seq: try row.int(2), messageId: try row.text(3), senderId: try row.text(4),
                    localId: try row.optionalText(5), contentType: try row.text(6), content: try row.optionalText(7),
                    atUsers: Self.decodeList(try row.optionalText(8)), replyTo: try row.optionalText(9), createdAt: try row.int(10),
                    recalled: try row.bool(11), isEvent: try row.bool(12), editedAt: try row.optionalInt(13))
                return SearchHit(message: message, text: try row.text(0))
            }
        }
    }

    public func searchUsers(_ text: String, limit: Int) async throws -> [UserRecord] {
        let ids = try await read {
            try await $0.all(
                "SELECT id FROM users WHERE username ILIKE $1 OR display_name ILIKE $1 ORDER BY username LIMIT $2",
                [.text(StoredText.containing(text)), .integer(Int64(limit))]) { try $0.text(0) }
        }
        let users = try await self.users(ids: ids)
        return ids.compactMap { id in users.first { $0.id == id } }
    }

    public func searchGroups(_ text: String, limit: Int) async throws -> [(group: GroupRecord, members: Int)] {
        let found = try await read {
            try await $0.all(
                """
                SELECT g.id, (SELECT COUNT(*) FROM members m WHERE m.conversation_id = 'g_' || g.id)
                FROM groups g WHERE g.dismissed_at IS NULL AND g.name ILIKE $1 ORDER BY g.created_at DESC LIMIT $2
                """,
                [.text(StoredText.containing(text)), .integer(Int64(limit))]) { (try $0.text(0), Int(try $0.int(1))) }
        }
        var groups: [(group: GroupRecord, members: Int)] = []
        for (id, members) in found {
            if let group = try await self.group(id: id) { groups.append((group, members)) }
        }
        return groups
    }
}
