import Foundation
import ParleyStore

extension SQLiteStore {
    static let messageColumns = """
        conversation_id, seq, message_id, sender_id, local_id, content_type, content, at_users, reply_to, \
        created_at, recalled, is_event, edited_at
        """

    static func message(_ row: SQLRow) -> MessageRecord {
        MessageRecord(
            conversationId: row.text(0), seq: row.int(1), messageId: row.text(2), senderId: row.text(3),
            localId: row.optionalText(4), contentType: row.text(5), content: row.optionalText(6),
            atUsers: decodeList(row.optionalText(7)), replyTo: row.optionalText(8), createdAt: row.int(9),
            recalled: row.bool(10), isEvent: row.bool(11), editedAt: row.optionalInt(12))
    }

    static func encodeList(_ list: [String]) -> String? { StoredText.list(list) }

    static func decodeList(_ text: String?) -> [String] { StoredText.list(from: text) }

    public func appendMessage(_ message: NewMessage) async throws -> AppendOutcome {
        try await write { db in
            if let existing = try db.first(
                "SELECT \(Self.messageColumns) FROM messages WHERE sender_id = ? AND local_id = ?",
                [.text(message.senderId), .text(message.localId)], Self.message)
            {
                return AppendOutcome(message: existing, duplicate: true)
            }
            if message.refuseIfBlocked, case .privateChat(_, let userA, let userB) = message.target {
                let blockers = try Self.blockers(between: userA, and: userB, in: db)
                if !blockers.isEmpty { throw StoreError.blocked(by: blockers.sorted()) }
            }
            let version = self.nextVersion()
            let conversationId: String
            let assigned: Int64?
            switch message.target {
            case .conversation(let id):
                conversationId = id
                assigned = try db.first(
                    "UPDATE conversations SET last_seq = last_seq + 1, version = ?, updated_at = ? WHERE id = ? RETURNING last_seq",
                    [.integer(version), .integer(message.createdAt), .text(id)], { $0.int(0) })
            case .privateChat(let id, let userA, let userB):
                conversationId = id
                // One statement creates the conversation or takes its next seq.
                assigned = try db.first(
                    """
                    INSERT INTO conversations (id, type, last_seq, version, created_at, updated_at) VALUES (?, 'private', 1, ?, ?, ?)
                    ON CONFLICT (id) DO UPDATE SET last_seq = last_seq + 1, version = excluded.version, updated_at = excluded.updated_at
                    RETURNING last_seq
                    """,
                    [.text(id), .integer(version), .integer(message.createdAt), .integer(message.createdAt)], { $0.int(0) })
                if assigned == 1 {
                    for user in [userA, userB] {
                        try db.run(
                            "INSERT INTO members (conversation_id, user_id, version, joined_at) VALUES (?, ?, ?, ?)",
                            [.text(id), .text(user), .integer(version), .integer(message.createdAt)])
                    }
                }
            }
            guard let seq = assigned else {
                throw StoreError.notFound("conversation")
            }
            let record = MessageRecord(
                conversationId: conversationId, seq: seq, messageId: message.messageId, senderId: message.senderId,
                localId: message.localId, contentType: message.contentType, content: message.content,
                atUsers: message.atUsers, replyTo: message.replyTo, createdAt: message.createdAt, recalled: false,
                isEvent: false)
            try Self.insert(record, into: db)
            if let text = message.searchText, !text.isEmpty {
                // Indexed shortly after by `SearchIndexer`; searched meanwhile as it stands.
                try db.run(
                    "INSERT INTO search_backlog (body, message_id, conversation_id, created_at) VALUES (?, ?, ?, ?)",
                    [.text(text), .text(record.messageId), .text(conversationId), .integer(record.createdAt)])
                self.searchIndexer.noteBacklog()
            }
            for user in Set(message.mentions) {
                try db.run(
                    "INSERT OR IGNORE INTO mentions (conversation_id, user_id, seq) VALUES (?, ?, ?)",
                    [.text(conversationId), .text(user), .integer(seq)])
            }
            for task in message.tasks { try Self.insert(task, into: db) }
            for mediaId in Set(message.mediaIds) {
                // Only media that is still there: a send racing the collector refers to nothing.
                try db.run(
                    """
                    INSERT OR IGNORE INTO media_refs (media_id, conversation_id, message_id)
                    SELECT id, ?, ? FROM media WHERE id = ?
                    """,
                    [.text(conversationId), .text(record.messageId), .text(mediaId)])
            }
            // The sender has seen their own message, and everything before it.
            let readBefore = try db.first(
                "SELECT read_seq FROM members WHERE conversation_id = ? AND user_id = ?",
                [.text(conversationId), .text(message.senderId)], { $0.int(0) }) ?? 0
            try db.run(
                "UPDATE members SET read_seq = ?, delivered_seq = MAX(delivered_seq, ?) WHERE conversation_id = ? AND user_id = ?",
                [.integer(seq), .integer(seq), .text(conversationId), .text(message.senderId)])
            return AppendOutcome(message: record, duplicate: false, senderReadBefore: readBefore)
        }
    }

    static func insert(_ record: MessageRecord, into db: SQLiteConnection) throws {
        do {
            try db.run(
                "INSERT INTO messages (\(messageColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(record.conversationId), .integer(record.seq), .text(record.messageId), .text(record.senderId),
                 SQLValue(record.localId), .text(record.contentType), SQLValue(record.content),
                 SQLValue(encodeList(record.atUsers)), SQLValue(record.replyTo), .integer(record.createdAt),
                 SQLValue(record.recalled), SQLValue(record.isEvent), SQLValue(record.editedAt)])
        } catch let violation as SQLiteConstraintViolation {
            throw StoreError.duplicate("message: \(violation.message)")
        }
    }

    public func recallMessage(_ recall: NewRecall) async throws -> RecallOutcome {
        try await write { db in
            guard var original = try db.first(
                "SELECT \(Self.messageColumns) FROM messages WHERE message_id = ? AND conversation_id = ?",
                [.text(recall.messageId), .text(recall.conversationId)], Self.message)
            else {
                throw StoreError.notFound("message")
            }
            if original.recalled,
                let eventId = try db.first("SELECT recall_event_id FROM messages WHERE message_id = ?", [.text(original.messageId)], { $0.optionalText(0) }) ?? nil,
                let event = try db.first("SELECT \(Self.messageColumns) FROM messages WHERE message_id = ?", [.text(eventId)], Self.message)
            {
                return RecallOutcome(original: original, event: event, duplicate: true)
            }
            let version = self.nextVersion()
            guard let seq = try db.first(
                "UPDATE conversations SET last_seq = last_seq + 1, version = ?, updated_at = ? WHERE id = ? RETURNING last_seq",
                [.integer(version), .integer(recall.createdAt), .text(recall.conversationId)], { $0.int(0) })
            else {
                throw StoreError.notFound("conversation")
            }
            let content = #"{"messageId":"\#(recall.messageId)"}"#
            let event = MessageRecord(
                conversationId: recall.conversationId, seq: seq, messageId: recall.eventId, senderId: recall.recalledBy,
                localId: nil, contentType: "recall", content: content, atUsers: [], replyTo: original.messageId,
                createdAt: recall.createdAt, recalled: false, isEvent: true)
            try Self.insert(event, into: db)
            try db.run(
                "UPDATE messages SET recalled = 1, content = NULL, recall_event_id = ? WHERE message_id = ?",
                [.text(recall.eventId), .text(original.messageId)])
            try Self.forgetSearchText(of: original.messageId, in: db)
            // A recalled message no longer shares its media.
            try db.run("DELETE FROM media_refs WHERE message_id = ?", [.text(original.messageId)])
            original.recalled = true
            original.content = nil
            return RecallOutcome(original: original, event: event, duplicate: false)
        }
    }

    public func message(id: String) async throws -> MessageRecord? {
        try await read { db in
            try db.first("SELECT \(Self.messageColumns) FROM messages WHERE message_id = ?", [.text(id)], Self.message)
        }
    }

    public func senders(conversationId: String, after: Int64, upTo: Int64) async throws -> [String] {
        try await read { db in
            try db.all(
                "SELECT DISTINCT sender_id FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND is_event = 0",
                [.text(conversationId), .integer(after), .integer(upTo)]) { $0.text(0) }
        }
    }

    public func messages(conversationId: String, page: HistoryPage) async throws -> MessagePage {
        try await read { db in
            switch page {
            case .after(let seq, let limit):
                let rows = try db.all(
                    "SELECT \(Self.messageColumns) FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                    [.text(conversationId), .integer(seq), .integer(Int64(limit + 1))], Self.message)
                return MessagePage(messages: Array(rows.prefix(limit)), hasMore: rows.count > limit)
            case .before(let seq, let limit):
                let rows = try db.all(
                    "SELECT \(Self.messageColumns) FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                    [.text(conversationId), .integer(seq ?? Int64.max), .integer(Int64(limit + 1))], Self.message)
                return MessagePage(messages: rows.prefix(limit).reversed(), hasMore: rows.count > limit)
            }
        }
    }
}
