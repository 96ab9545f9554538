import ParleyStore

extension PostgresStore {
    private static let stateColumns = """
        c.id, c.type, c.last_seq, c.created_at, c.updated_at, m.delivered_seq, m.read_seq, m.pinned, m.muted, \
        GREATEST(c.version, m.version) AS v, m.hidden_seq, m.role, m.muted_until, m.joined_at
        """

    static let memberColumns = "conversation_id, user_id, delivered_seq, read_seq, pinned, muted, hidden_seq, role, muted_until, joined_at"

    static func membership(_ row: PGRow) throws -> MembershipRecord {
        MembershipRecord(
            conversationId: try row.text(0), userId: try row.text(1), deliveredSeq: try row.int(2), readSeq: try row.int(3),
            pinned: try row.bool(4), muted: try row.bool(5), hiddenSeq: try row.optionalInt(6),
            role: GroupRole(rawValue: try row.text(7)) ?? .member, mutedUntil: try row.int(8), joinedAt: try row.int(9))
    }

    public func conversation(id: String) async throws -> ConversationRecord? {
        try await read {
            try await $0.first("SELECT id, type, last_seq, created_at, updated_at FROM conversations WHERE id = $1", [.text(id)]) { row in
                ConversationRecord(
                    id: try row.text(0), type: try row.text(1), lastSeq: try row.int(2), createdAt: try row.int(3), updatedAt: try row.int(4))
            }
        }
    }

    public func membership(conversationId: String, userId: String) async throws -> MembershipRecord? {
        try await read {
            try await $0.first(
                "SELECT \(Self.memberColumns) FROM members WHERE conversation_id = $1 AND user_id = $2",
                [.text(conversationId), .text(userId)], Self.membership)
        }
    }

    public func memberIds(conversationId: String) async throws -> [String] {
        try await read {
            try await $0.all("SELECT user_id FROM members WHERE conversation_id = $1", [.text(conversationId)]) { try $0.text(0) }
        }
    }

    public func members(conversationId: String) async throws -> [MembershipRecord] {
        try await read {
            try await $0.all(
                "SELECT \(Self.memberColumns) FROM members WHERE conversation_id = $1 ORDER BY joined_at, user_id",
                [.text(conversationId)], Self.membership)
        }
    }

    public func updateSettings(conversationId: String, userId: String, _ change: ConversationSettingsChange) async throws -> MembershipRecord? {
        try await write { db in
            guard let lastSeq = try await db.sql.first("SELECT last_seq FROM conversations WHERE id = $1", [.text(conversationId)], { try $0.int(0) })
            else { return nil }
            let hidden: PGValue = change.hidden.map { $0 ? .integer(lastSeq) : .null } ?? .null
            return try await db.sql.first(
                """
                UPDATE members SET
                    pinned = COALESCE($3, pinned), muted = COALESCE($4, muted),
                    hidden_seq = CASE WHEN $5 THEN $6 ELSE hidden_seq END, version = $7
                WHERE conversation_id = $1 AND user_id = $2 RETURNING \(Self.memberColumns)
                """,
                [.text(conversationId), .text(userId), change.pinned.map(PGValue.bool) ?? .null,
                 change.muted.map(PGValue.bool) ?? .null, .bool(change.hidden != nil), hidden, .integer(db.nextVersion())],
                Self.membership)
        }
    }

    public func advanceCursor(conversationId: String, userId: String, kind: CursorKind, to seq: Int64) async throws -> CursorAdvance {
        try await write { db in
            guard let lastSeq = try await db.sql.first("SELECT last_seq FROM conversations WHERE id = $1", [.text(conversationId)], { try $0.int(0) }),
                let (delivered, read) = try await db.sql.first(
                    "SELECT delivered_seq, read_seq FROM members WHERE conversation_id = $1 AND user_id = $2 FOR UPDATE",
                    [.text(conversationId), .text(userId)], { (try $0.int(0), try $0.int(1)) })
            else {
                throw StoreError.notFound("membership")
            }
            let target = min(seq, lastSeq)
            let current = kind == .read ? read : delivered
            guard target > current else { return CursorAdvance(seq: current, previous: current, moved: false) }
            // The peer of a private chat shows this cursor (`peerReadSeq`): their sync must see it move.
            if conversationId.hasPrefix("p_") {
                try await db.sql.run(
                    "UPDATE members SET version = $1 WHERE conversation_id = $2 AND user_id <> $3",
                    [.integer(db.nextVersion()), .text(conversationId), .text(userId)])
            }
            switch kind {
            case .read:
                try await db.sql.run(
                    """
                    UPDATE members SET read_seq = $1, delivered_seq = GREATEST(delivered_seq, $1), version = $2
                    WHERE conversation_id = $3 AND user_id = $4
                    """,
                    [.integer(target), .integer(db.nextVersion()), .text(conversationId), .text(userId)])
            case .delivered:
                try await db.sql.run(
                    "UPDATE members SET delivered_seq = $1, version = $2 WHERE conversation_id = $3 AND user_id = $4",
                    [.integer(target), .integer(db.nextVersion()), .text(conversationId), .text(userId)])
            }
            return CursorAdvance(seq: target, previous: current, moved: true)
        }
    }

    public func conversationsChanged(userId: String, after version: Int64, limit: Int) async throws -> ConversationPage {
        try await read { sql in
            let rows = try await sql.all(
                """
                SELECT \(Self.stateColumns) FROM members m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.user_id = $1 AND (c.version > $2 OR m.version > $2) ORDER BY v LIMIT $3
                """,
                [.text(userId), .integer(version), .integer(Int64(limit + 1))]) { try Self.partialState($0, userId: userId) }
            var states: [ConversationState] = []
            for state in rows.prefix(limit) { states.append(try await Self.complete(state, userId: userId, sql: sql)) }
            return ConversationPage(conversations: states, version: states.last?.version ?? version, hasMore: rows.count > limit)
        }
    }

    public func conversationList(userId: String, limit: Int) async throws -> [ConversationState] {
        try await read { sql in
            let rows = try await sql.all(
                """
                SELECT \(Self.stateColumns) FROM members m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.user_id = $1 AND (m.hidden_seq IS NULL OR c.last_seq > m.hidden_seq)
                ORDER BY m.pinned DESC, c.updated_at DESC, c.id LIMIT $2
                """,
                [.text(userId), .integer(Int64(limit))]) { try Self.partialState($0, userId: userId) }
            var states: [ConversationState] = []
            for state in rows { states.append(try await Self.complete(state, userId: userId, sql: sql)) }
            return states
        }
    }

    private static func partialState(_ row: PGRow, userId: String) throws -> ConversationState {
        let conversation = ConversationRecord(
            id: try row.text(0), type: try row.text(1), lastSeq: try row.int(2), createdAt: try row.int(3), updatedAt: try row.int(4))
        let membership = MembershipRecord(
            conversationId: conversation.id, userId: userId, deliveredSeq: try row.int(5), readSeq: try row.int(6),
            pinned: try row.bool(7), muted: try row.bool(8), hiddenSeq: try row.optionalInt(10),
            role: GroupRole(rawValue: try row.text(11)) ?? .member, mutedUntil: try row.int(12), joinedAt: try row.int(13))
        return ConversationState(
            conversation: conversation, membership: membership, peerId: nil, unread: 0, mentionUnread: 0,
            lastMessage: nil, version: try row.int(9))
    }

    /// Derives the unread counts from the read cursor, and adds the last item, the peer and the group name.
    private static func complete(_ partial: ConversationState, userId: String, sql: SQLSession) async throws -> ConversationState {
        var state = partial
        let id = state.conversation.id
        let readSeq = state.membership.readSeq
        if state.conversation.lastSeq > readSeq {
            state.unread = try await sql.first(
                """
                SELECT COUNT(*) FROM messages WHERE conversation_id = $1 AND seq > $2 AND sender_id <> $3
                AND NOT is_event AND NOT recalled
                """,
                [.text(id), .integer(readSeq), .text(userId)], { try $0.int(0) }) ?? 0
            state.mentionUnread = try await sql.first(
                """
                SELECT COUNT(DISTINCT n.seq) FROM mentions n JOIN messages x ON x.conversation_id = n.conversation_id AND x.seq = n.seq
                WHERE n.conversation_id = $1 AND n.user_id IN ($2, 'all') AND n.seq > $3 AND NOT x.recalled AND x.sender_id <> $2
                """,
                [.text(id), .text(userId), .integer(readSeq)], { try $0.int(0) }) ?? 0
        }
        if state.conversation.lastSeq > 0 {
            state.lastMessage = try await sql.first(
                "SELECT \(messageColumns) FROM messages WHERE conversation_id = $1 AND seq = $2",
                [.text(id), .integer(state.conversation.lastSeq)], message)
        }
        if state.conversation.type == "group" {
            state.groupName = try await sql.first("SELECT name FROM groups WHERE id = $1", [.text(String(id.dropFirst(2)))]) { try $0.text(0) }
        }
        if state.conversation.type == "private",
            let (peer, delivered, read) = try await sql.first(
                "SELECT user_id, delivered_seq, read_seq FROM members WHERE conversation_id = $1 AND user_id <> $2 LIMIT 1",
                [.text(id), .text(userId)], { (try $0.text(0), try $0.int(1), try $0.int(2)) })
        {
            state.peerId = peer
            state.peerDeliveredSeq = delivered
            state.peerReadSeq = read
        }
        return state
    }
}
