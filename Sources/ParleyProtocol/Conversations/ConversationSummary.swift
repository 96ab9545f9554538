/// A conversation as one member sees it: in `sync.conversations` and `GET /v1/conversations`.
public struct ConversationSummary: Codable, Sendable, Equatable {
    public var conversationId: String
    public var conversationType: ConversationType
    /// For a private chat: the other user.
    public var peerId: String?
    /// For a group conversation: the group and its name.
    public var groupId: String?
    public var name: String?
    public var lastSeq: Int64
    public var deliveredSeq: Int64
    public var readSeq: Int64
    public var unread: Int64
    public var mentionUnread: Int64
    public var lastMessage: MessagePayload?
    public var pinned: Bool
    public var muted: Bool
    /// Hidden from the list by the member until a newer item arrives.
    public var hidden: Bool
    /// Last activity, epoch ms.
    public var updatedAt: Int64
    /// For a private chat: how far the other user has received and read (their cumulative
    /// cursors), so a sender who was offline when the peer read still learns it. Null in groups.
    public var peerDeliveredSeq: Int64?
    public var peerReadSeq: Int64?

    public init(
        conversationId: String, conversationType: ConversationType, peerId: String?, lastSeq: Int64,
        deliveredSeq: Int64, readSeq: Int64, unread: Int64, mentionUnread: Int64,
        lastMessage: MessagePayload?, pinned: Bool, muted: Bool, updatedAt: Int64,
        groupId: String? = nil, name: String? = nil, hidden: Bool = false, peerDeliveredSeq: Int64? = nil,
        peerReadSeq: Int64? = nil
    ) {
        self.peerDeliveredSeq = peerDeliveredSeq
        self.peerReadSeq = peerReadSeq
        self.groupId = groupId
        self.name = name
        self.hidden = hidden
        self.conversationId = conversationId
        self.conversationType = conversationType
        self.peerId = peerId
        self.lastSeq = lastSeq
        self.deliveredSeq = deliveredSeq
        self.readSeq = readSeq
        self.unread = unread
        self.mentionUnread = mentionUnread
        self.lastMessage = lastMessage
        self.pinned = pinned
        self.muted = muted
        self.updatedAt = updatedAt
    }

    private enum CodingKeys: String, CodingKey {
        case conversationId, conversationType, peerId, groupId, name, lastSeq, deliveredSeq, readSeq, unread
        case mentionUnread, lastMessage, pinned, muted, hidden, updatedAt, peerDeliveredSeq, peerReadSeq
    }

    // `peerId`, `groupId`, `name`, `lastMessage` and the peer cursors go out as explicit `null`s when absent.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(conversationId, forKey: .conversationId)
        try c.encode(conversationType, forKey: .conversationType)
        try c.encode(peerId, forKey: .peerId)
        try c.encode(groupId, forKey: .groupId)
        try c.encode(name, forKey: .name)
        try c.encode(lastSeq, forKey: .lastSeq)
        try c.encode(deliveredSeq, forKey: .deliveredSeq)
        try c.encode(readSeq, forKey: .readSeq)
        try c.encode(unread, forKey: .unread)
        try c.encode(mentionUnread, forKey: .mentionUnread)
        try c.encode(lastMessage, forKey: .lastMessage)
        try c.encode(pinned, forKey: .pinned)
        try c.encode(muted, forKey: .muted)
        try c.encode(hidden, forKey: .hidden)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(peerDeliveredSeq, forKey: .peerDeliveredSeq)
        try c.encode(peerReadSeq, forKey: .peerReadSeq)
    }
}

/// `GET /v1/conversations` response.
public struct ConversationList: Codable, Sendable, Equatable {
    public var conversations: [ConversationSummary]
    public init(conversations: [ConversationSummary]) { self.conversations = conversations }
}
