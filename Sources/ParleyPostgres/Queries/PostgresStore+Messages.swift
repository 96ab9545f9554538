import Foundation
import ParleyStore

extension PostgresStore {
    static let messageColumns = """
        conversation_id, seq, message_id, sender_id, local_id, content_type, content, at_users, reply_to, \
        created_at, recalled, is_event, edited_at
        """

    static func message(_ row: PGRow) throws -> MessageRecord {
        MessageRecord(
            conversationId: try row.text(0), seq: try row.int(1), messageId: try row.text(2), senderId: try row.text(3),
            localId: try row.optionalText(4), contentType: try row.text(5), content: try row.optionalText(6),
            atUsers: decodeList(try row.optionalText(7)), replyTo: try row.optionalText(8), createdAt: try row.int(9),
            recalled: try row.bool(10), isEvent: try row.bool(11), editedAt: try row.optionalInt(12))
    }

    static func encodeList(_ list: [String]) -> String? { StoredText.list(list) }

    static func decodeList(_ text: String?) -> [String] { StoredText.list(from: text) }

    /// A message by id: its reference gives the partition key, so one partition is read.
    static func message(id: String, in sql: SQLSession) async throws -> MessageRecord? {
        try await sql.first(
            """
            SELECT \(messageColumns.split(separator: ",").map { "m." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
            FROM message_refs r JOIN messages m
              ON m.conversation_id = r.conversation_id AND m.seq = r.seq AND m.created_at = r.created_at
            WHERE r.message_id = $1
            """,
            [.text(id)], message)
    }

    public func appendMessage(_ message: NewMessage) async throws -> AppendOutcome {
        // Read just before the writer's batch (not in it: the batch is one call for many sends).
        if message.refuseIfBlocked, case .privateChat(_, let userA, let userB) = message.target {
            let blockers = try await blockers(between: userA, and: userB)
            if !blockers.isEmpty { throw StoreError.blocked(by: blockers.sorted()) }
        }
        return try await writer.append(message)
    }

    /// Stores sends in one round trip, in order, inside the writer's transaction: each gets its
    /// conversation's next seq, or is found to be a retry of a stored one.
    static func appendBatch(_ messages: [NewMessage], db: WriteContext) async throws -> [AppendOutcome] {
        if messages.isEmpty { return [] }
        var conversations: [String] = [], privates: [String] = [], userA: [String] = [], userB: [String] = []
        for message in messages {
            switch message.target {
            case .conversation(let id):
                conversations.append(id)
                privates.append("false")
                userA.append("")
                userB.append("")
            case .privateChat(let id, let a, let b):
                conversations.append(id)
                privates.append("true")
                userA.append(a)
                userB.append(b)
            }
        }
        let versions = messages.map { _ in String(db.nextVersion()) }
        let rows = try await db.sql.all(
            """
            SELECT out_index, out_seq, out_message_id, out_duplicate, out_read_before FROM parley_append_messages(
                $1::text[], $2::boolean[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
                $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], $14::bigint[])
            """,
            [.texts(conversations), .texts(privates), .texts(userA), .texts(userB), .texts(messages.map(\.messageId)),
             .texts(messages.map(\.senderId)), .texts(messages.map(\.localId)), .texts(messages.map(\.contentType)),
             .texts(messages.map(\.content)), .texts(messages.map { encodeList($0.atUsers) ?? "" }),
             .texts(messages.map { encodeList(Array(Set($0.mentions))) ?? "[]" }), .texts(messages.map { $0.replyTo ?? "" }),
             .texts(messages.map { String($0.createdAt) }), .texts(versions)],
            { (Int(try $0.int(0)), try $0.int(1), try $0.text(2), try $0.bool(3), try $0.optionalInt(4)) })
        var outcomes: [AppendOutcome] = []
        for (index, seq, storedId, duplicate, readBefore) in rows.sorted(by: { $0.0 < $1.0 }) {
            let message = messages[index - 1]
            if duplicate {
                guard let existing = try await Self.message(id: storedId, in: db.sql) else { throw StoreError.notFound("message") }
                outcomes.append(AppendOutcome(message: existing, duplicate: true))
            } else {
                let conversationId = conversations[index - 1]
                outcomes.append(AppendOutcome(
                    message: MessageRecord(
                        conversationId: conversationId, seq: seq, messageId: message.messageId, senderId: message.senderId,
                        localId: message.localId, contentType: message.contentType, content: message.content,
                        atUsers: message.atUsers, replyTo: message.replyTo, createdAt: message.createdAt, recalled: false,
                        isEvent: false),
                    duplicate: false, senderReadBefore: readBefore))
            }
        }
        // The new messages' tasks, in the same transaction.
        let fresh = zip(messages, outcomes).filter { !$0.1.duplicate }.flatMap { $0.0.tasks }
        try await PostgresStore.insert(fresh, into: db.sql)
        // And the media they reference, share-locked: the collector's `SKIP LOCKED` passes over
        // media a send is referring to, and a send waits for media the collector is deleting.
        var mediaIds: [String] = [], refConversations: [String] = [], refMessages: [String] = []
        for (message, outcome) in zip(messages, outcomes) where !outcome.duplicate {
            for mediaId in Set(message.mediaIds) {
                mediaIds.append(mediaId)
                refConversations.append(outcome.message.conversationId)
                refMessages.append(message.messageId)
            }
        }
        if !mediaIds.isEmpty {
            try await db.sql.run(
                """
                INSERT INTO media_refs (media_id, conversation_id, message_id)
                SELECT u.m, u.c, u.msg FROM unnest($1::text[], $2::text[], $3::text[]) AS u(m, c, msg)
                WHERE EXISTS (SELECT 1 FROM media WHERE id = u.m FOR SHARE) ON CONFLICT DO NOTHING
                """,
                [.texts(mediaIds), .texts(refConversations), .texts(refMessages)])
        }
        return outcomes
    }

    static func insert(_ record: MessageRecord, into sql: SQLSession) async throws {
        try await sql.run(
            "INSERT INTO messages (\(messageColumns)) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            [.text(record.conversationId), .integer(record.seq), .text(record.messageId), .text(record.senderId),
             PGValue(record.localId), .text(record.contentType), PGValue(record.content),
             PGValue(encodeList(record.atUsers)), PGValue(record.replyTo), .integer(record.createdAt),
             .bool(record.recalled), .bool(record.isEvent), PGValue(record.editedAt)])
        try await sql.run(
            "INSERT INTO message_refs VALUES ($1, $2, $3, $4)",
            [.text(record.messageId), .text(record.conversationId), .integer(record.seq), .integer(record.createdAt)])
    }

    public func recallMessage(_ recall: NewRecall) async throws -> RecallOutcome {
        try await write { db in
            guard var original = try await Self.message(id: recall.messageId, in: db.sql), original.conversationId == recall.conversationId
            else {
                throw StoreError.notFound("message")
            }
            if original.recalled,
                let eventId = try await db.sql.first(
                    "SELECT m.recall_event_id FROM message_refs r JOIN messages m ON m.conversation_id = r.conversation_id AND m.seq = r.seq AND m.created_at = r.created_at WHERE r.message_id = $1",
                    [.text(original.messageId)], { try $0.optionalText(0) }) ?? nil,
                let event = try await Self.message(id: eventId, in: db.sql)
            {
                return RecallOutcome(original: original, event: event, duplicate: true)
            }
            guard let seq = try await db.sql.first(
                "UPDATE conversations SET last_seq = last_seq + 1, version = $1, updated_at = $2 WHERE id = $3 RETURNING last_seq",
                [.integer(db.nextVersion()), .integer(recall.createdAt), .text(recall.conversationId)], { try $0.int(0) })
            else {
                throw StoreError.notFound("conversation")
            }
            let content = #"{"messageId":"\#(recall.messageId)"}"#
            let event = MessageRecord(
                conversationId: recall.conversationId, seq: seq, messageId: recall.eventId, senderId: recall.recalledBy,
                localId: nil, contentType: "recall", content: content, atUsers: [], replyTo: original.messageId,
                createdAt: recall.createdAt, recalled: false, isEvent: true)
            try await Self.insert(event, into: db.sql)
            try await db.sql.run(
                """
                UPDATE messages SET recalled = TRUE, content = NULL, recall_event_id = $1
                WHERE conversation_id = $2 AND seq = $3 AND created_at = $4
                """,
                [.text(recall.eventId), .text(original.conversationId), .integer(original.seq), .integer(original.createdAt)])
            // A recalled message no longer shares its media.
            try await db.sql.run("DELETE FROM media_refs WHERE message_id = $1", [.text(original.messageId)])
            original.recalled = true
            original.content = nil
            return RecallOutcome(original: original, event: event, duplicate: false)
        }
    }

    public func message(id: String) async throws -> MessageRecord? {
        try await read { try await Self.message(id: id, in: $0) }
    }

    public func senders(conversationId: String, after: Int64, upTo: Int64) async throws -> [String] {
        try await read {
            try await $0.all(
                "SELECT DISTINCT sender_id FROM messages WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 AND NOT is_event",
                [.text(conversationId), .integer(after), .integer(upTo)]) { try $0.text(0) }
        }
    }

    public func messages(conversationId: String, page: HistoryPage) async throws -> MessagePage {
        try await read { sql in
            switch page {
            case .after(let seq, let limit):
                let rows = try await sql.all(
                    "SELECT \(Self.messageColumns) FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
                    [.text(conversationId), .integer(seq), .integer(Int64(limit + 1))], Self.message)
                return MessagePage(messages: Array(rows.prefix(limit)), hasMore: rows.count > limit)
            case .before(let seq, let limit):
                let rows = try await sql.all(
                    "SELECT \(Self.messageColumns) FROM messages WHERE conversation_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3",
                    [.text(conversationId), .integer(seq ?? Int64.max), .integer(Int64(limit + 1))], Self.message)
                return MessagePage(messages: rows.prefix(limit).reversed(), hasMore: rows.count > limit)
            }
        }
    }
}
