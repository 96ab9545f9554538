import ParleyStore

extension SQLiteStore {
    private static let stateColumns = """
        c.id, c.type, c.last_seq, c.created_at, c.updated_at, m.delivered_seq, m.read_seq, m.pinned, m.muted, \
        MAX(c.version, m.version) AS v, m.hidden_seq, m.role, m.muted_until, m.joined_at
        """

    static let memberColumns = "conversation_id, user_id, delivered_seq, read_seq, pinned, muted, hidden_seq, role, muted_until, joined_at"

    static func membership(_ row: SQLRow) -> MembershipRecord {
        MembershipRecord(
            conversationId: row.text(0), userId: row.text(1), deliveredSeq: row.int(2), readSeq: row.int(3),
            pinned: row.bool(4), muted: row.bool(5), hiddenSeq: row.optionalInt(6),
            role: GroupRole(rawValue: row.text(7)) ?? .member, mutedUntil: row.int(8), joinedAt: row.int(9))
    }

    public func conversation(id: String) async throws -> ConversationRecord? {
        try await read { db in
            try db.first(
                "SELECT id, type, last_seq, created_at, updated_at FROM conversations WHERE id = ?", [.text(id)]
            ) { row in
                ConversationRecord(id: row.text(0), type: row.text(1), lastSeq: row.int(2), createdAt: row.int(3), updatedAt: row.int(4))
            }
        }
    }

    public func membership(conversationId: String, userId: String) async throws -> MembershipRecord? {
        try await read { db in
            try db.first(
                "SELECT \(Self.memberColumns) FROM members WHERE conversation_id = ? AND user_id = ?",
                [.text(conversationId), .text(userId)], Self.membership)
        }
    }

    public func members(conversationId: String) async throws -> [MembershipRecord] {
        try await read { db in
            try db.all(
                "SELECT \(Self.memberColumns) FROM members WHERE conversation_id = ? ORDER BY joined_at, user_id",
                [.text(conversationId)], Self.membership)
        }
    }

    public func updateSettings(conversationId: String, userId: String, _ change: ConversationSettingsChange) async throws -> MembershipRecord? {
        try await write { db in
            guard let lastSeq = try db.first("SELECT last_seq FROM conversations WHERE id = ?", [.text(conversationId)], { $0.int(0) }),
                try db.first("SELECT 1 FROM members WHERE conversation_id = ? AND user_id = ?", [.text(conversationId), .text(userId)], { _ in true }) != nil
            else { return nil }
            let key: [SQLValue] = [.text(conversationId), .text(userId)]
            if let pinned = change.pinned {
                try db.run("UPDATE members SET pinned = ? WHERE conversation_id = ? AND user_id = ?", [SQLValue(pinned)] + key)
            }
            if let muted = change.muted {
                try db.run("UPDATE members SET muted = ? WHERE conversation_id = ? AND user_id = ?", [SQLValue(muted)] + key)
            }
            if let hidden = change.hidden {
                // Hidden until something newer than the current last item arrives.
                try db.run(
                    "UPDATE members SET hidden_seq = ? WHERE conversation_id = ? AND user_id = ?",
                    [hidden ? .integer(lastSeq) : .null] + key)
            }
            try db.run("UPDATE members SET version = ? WHERE conversation_id = ? AND user_id = ?", [.integer(self.nextVersion())] + key)
            return try db.first("SELECT \(Self.memberColumns) FROM members WHERE conversation_id = ? AND user_id = ?", key, Self.membership)
        }
    }

    public func memberIds(conversationId: String) async throws -> [String] {
        try await read { db in
            try db.all("SELECT user_id FROM members WHERE conversation_id = ?", [.text(conversationId)]) { $0.text(0) }
        }
    }

    public func advanceCursor(conversationId: String, userId: String, kind: CursorKind, to seq: Int64) async throws -> CursorAdvance {
        try await write { db in
            guard let lastSeq = try db.first("SELECT last_seq FROM conversations WHERE id = ?", [.text(conversationId)], { $0.int(0) }),
                let (delivered, read) = try db.first(
                    "SELECT delivered_seq, read_seq FROM members WHERE conversation_id = ? AND user_id = ?",
                    [.text(conversationId), .text(userId)], { ($0.int(0), $0.int(1)) })
            else {
                throw StoreError.notFound("membership")
            }
            let target = min(seq, lastSeq)
            let current = kind == .read ? read : delivered
            guard target > current else { return CursorAdvance(seq: current, previous: current, moved: false) }
            let version = self.nextVersion()
            // The peer of a private chat shows this cursor (`peerReadSeq`): their sync must see it move.
            if conversationId.hasPrefix("p_") {
                try db.run(
                    "UPDATE members SET version = ? WHERE conversation_id = ? AND user_id <> ?",
                    [.integer(version), .text(conversationId), .text(userId)])
            }
            switch kind {
            case .read:
                try db.run(
                    "UPDATE members SET read_seq = ?, delivered_seq = MAX(delivered_seq, ?), version = ? WHERE conversation_id = ? AND user_id = ?",
                    [.integer(target), .integer(target), .integer(version), .text(conversationId), .text(userId)])
            case .delivered:
                try db.run(
                    "UPDATE members SET delivered_seq = ?, version = ? WHERE conversation_id = ? AND user_id = ?",
                    [.integer(target), .integer(version), .text(conversationId), .text(userId)])
            }
            return CursorAdvance(seq: target, previous: current, moved: true)
        }
    }

    public func conversationsChanged(userId: String, after version: Int64, limit: Int) async throws -> ConversationPage {
        try await read { db in
            let rows = try db.all(
                """
                SELECT \(Self.stateColumns) FROM members m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.user_id = ? AND (c.version > ? OR m.version > ?) ORDER BY v LIMIT ?
                """,
                [.text(userId), .integer(version), .integer(version), .integer(Int64(limit + 1))]
            ) { row in Self.partialState(row, userId: userId) }
            let page = Array(rows.prefix(limit))
            let states = try page.map { try Self.complete($0, userId: userId, db: db) }
            return ConversationPage(conversations: states, version: states.last?.version ?? version, hasMore: rows.count > limit)
        }
    }

    public func conversationList(userId: String, limit: Int) async throws -> [ConversationState] {
        try await read { db in
            let rows = try db.all(
                """
                SELECT \(Self.stateColumns) FROM members m JOIN conversations c ON c.id = m.conversation_id
                WHERE m.user_id = ? AND (m.hidden_seq IS NULL OR c.last_seq > m.hidden_seq)
                ORDER BY m.pinned DESC, c.updated_at DESC, c.id LIMIT ?
                """,
                [.text(userId), .integer(Int64(limit))]
            ) { row in Self.partialState(row, userId: userId) }
            return try rows.map { try Self.complete($0, userId: userId, db: db) }
        }
    }

    /// The columns of `stateColumns`; counts and the last message are filled by `complete`.
    private static func partialState(_ row: SQLRow, userId: String) -> ConversationState {
        let conversation = ConversationRecord(
            id: row.text(0), type: row.text(1), lastSeq: row.int(2), createdAt: row.int(3), updatedAt: row.int(4))
        let membership = MembershipRecord(
            conversationId: conversation.id, userId: userId, deliveredSeq: row.int(5), readSeq: row.int(6),
            pinned: row.bool(7), muted: row.bool(8), hiddenSeq: row.optionalInt(10),
            role: GroupRole(rawValue: row.text(11)) ?? .member, mutedUntil: row.int(12), joinedAt: row.int(13))
        return ConversationState(
            conversation: conversation, membership: membership, peerId: nil, unread: 0, mentionUnread: 0,
            lastMessage: nil, version: row.int(9))
    }

    /// Derives the unread counts from the read cursor, and adds the last item and the peer.
    private static func complete(_ partial: ConversationState, userId: String, db: SQLiteConnection) throws -> ConversationState {
        var state = partial
        let id = state.conversation.id
        let readSeq = state.membership.readSeq
        if state.conversation.lastSeq > readSeq {
            state.unread = try db.first(
                """
                SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND seq > ? AND sender_id <> ?
                AND is_event = 0 AND recalled = 0
                """,
                [.text(id), .integer(readSeq), .text(userId)], { $0.int(0) }) ?? 0
            state.mentionUnread = try db.first(
                """
                SELECT COUNT(DISTINCT n.seq) FROM mentions n JOIN messages x ON x.conversation_id = n.conversation_id AND x.seq = n.seq
                WHERE n.conversation_id = ? AND n.user_id IN (?, 'all') AND n.seq > ? AND x.recalled = 0 AND x.sender_id <> ?
                """,
                [.text(id), .text(userId), .integer(readSeq), .text(userId)], { $0.int(0) }) ?? 0
        }
        if state.conversation.lastSeq > 0 {
            state.lastMessage = try db.first(
                "SELECT \(messageColumns) FROM messages WHERE conversation_id = ? AND seq = ?",
                [.text(id), .integer(state.conversation.lastSeq)], message)
        }
        if state.conversation.type == "group" {
            state.groupName = try db.first(
                "SELECT name FROM groups WHERE id = ?", [.text(String(id.dropFirst(2)))], { $0.text(0) })
        }
        if state.conversation.type == "private",
            let (peer, delivered, read) = try db.first(
                "SELECT user_id, delivered_seq, read_seq FROM members WHERE conversation_id = ? AND user_id <> ? LIMIT 1",
                [.text(id), .text(userId)], { ($0.text(0), $0.int(1), $0.int(2)) })
        {
            state.peerId = peer
            state.peerDeliveredSeq = delivered
            state.peerReadSeq = read
        }
        return state
    }
}
