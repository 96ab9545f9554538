/// A conversation's shared state.
public struct ConversationRecord: Sendable, Equatable {
    public var id: String
    public var type: String
    public var lastSeq: Int64
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(id: String, type: String, lastSeq: Int64, createdAt: Int64, updatedAt: Int64) {
        self.id = id
        self.type = type
        self.lastSeq = lastSeq
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One member's state in a conversation: cursors and settings.
public struct MembershipRecord: Sendable, Equatable {
    public var conversationId: String
    public var userId: String
    public var deliveredSeq: Int64
    public var readSeq: Int64
    public var pinned: Bool
    public var muted: Bool

    public init(conversationId: String, userId: String, deliveredSeq: Int64, readSeq: Int64, pinned: Bool, muted: Bool) {
        self.conversationId = conversationId
        self.userId = userId
        self.deliveredSeq = deliveredSeq
        self.readSeq = readSeq
        self.pinned = pinned
        self.muted = muted
    }
}

/// The two cursors each member has.
public enum CursorKind: String, Sendable, Equatable {
    case delivered
    case read
}

/// The result of `advanceCursor`.
public struct CursorAdvance: Sendable, Equatable {
    /// The cursor after the call.
    public var seq: Int64
    /// False when the cursor was already at or past the requested seq.
    public var moved: Bool

    public init(seq: Int64, moved: Bool) {
        self.seq = seq
        self.moved = moved
    }
}

/// A conversation as one member sees it, with counts derived from the cursors.
public struct ConversationState: Sendable, Equatable {
    public var conversation: ConversationRecord
    public var membership: MembershipRecord
    /// The other user of a private chat.
    public var peerId: String?
    public var unread: Int64
    public var mentionUnread: Int64
    public var lastMessage: MessageRecord?
    /// The version of this row's latest change (for sync cursors).
    public var version: Int64

    public init(
        conversation: ConversationRecord, membership: MembershipRecord, peerId: String?, unread: Int64,
        mentionUnread: Int64, lastMessage: MessageRecord?, version: Int64
    ) {
        self.conversation = conversation
        self.membership = membership
        self.peerId = peerId
        self.unread = unread
        self.mentionUnread = mentionUnread
        self.lastMessage = lastMessage
        self.version = version
    }
}

/// A page of changed conversations.
public struct ConversationPage: Sendable, Equatable {
    public var conversations: [ConversationState]
    /// The cursor to resume from.
    public var version: Int64
    public var hasMore: Bool

    public init(conversations: [ConversationState], version: Int64, hasMore: Bool) {
        self.conversations = conversations
        self.version = version
        self.hasMore = hasMore
    }
}
