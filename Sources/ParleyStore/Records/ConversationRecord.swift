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
    /// Do-not-disturb for this conversation.
    public var muted: Bool
    /// Hidden from the list until the conversation passes this seq; nil when shown.
    public var hiddenSeq: Int64?
    /// `owner`, `admin` or `member` (see `GroupRole`); `member` in private chats.
    public var role: GroupRole
    /// A group member may not speak before this time (epoch ms); 0 when not muted.
    public var mutedUntil: Int64
    public var joinedAt: Int64

    public init(
        conversationId: String, userId: String, deliveredSeq: Int64, readSeq: Int64, pinned: Bool, muted: Bool,
        hiddenSeq: Int64? = nil, role: GroupRole = .member, mutedUntil: Int64 = 0, joinedAt: Int64 = 0
    ) {
        self.conversationId = conversationId
        self.userId = userId
        self.deliveredSeq = deliveredSeq
        self.readSeq = readSeq
        self.pinned = pinned
        self.muted = muted
        self.hiddenSeq = hiddenSeq
        self.role = role
        self.mutedUntil = mutedUntil
        self.joinedAt = joinedAt
    }
}

/// A member's own settings for a conversation; nil fields stay as they are.
public struct ConversationSettingsChange: Sendable, Equatable {
    public var pinned: Bool?
    public var muted: Bool?
    public var hidden: Bool?

    public init(pinned: Bool? = nil, muted: Bool? = nil, hidden: Bool? = nil) {
        self.pinned = pinned
        self.muted = muted
        self.hidden = hidden
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
    /// The cursor before the call.
    public var previous: Int64
    /// False when the cursor was already at or past the requested seq.
    public var moved: Bool

    public init(seq: Int64, previous: Int64, moved: Bool) {
        self.seq = seq
        self.previous = previous
        self.moved = moved
    }
}

/// A conversation as one member sees it, with counts derived from the cursors.
public struct ConversationState: Sendable, Equatable {
    public var conversation: ConversationRecord
    public var membership: MembershipRecord
    /// The other user of a private chat.
    public var peerId: String?
    /// The other user's cursors in a private chat: how far they have received and read.
    public var peerDeliveredSeq: Int64?
    public var peerReadSeq: Int64?
    /// The group's name, for a group conversation.
    public var groupName: String?
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
        self.groupName = nil
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
