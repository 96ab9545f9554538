/// One item of a conversation as clients see it: `data` of a live `message` frame and
/// an element of `history.messages`. Events (a recall) are items too, with their own `seq`.
public struct MessagePayload: Codable, Sendable, Equatable {
    public var messageId: String
    public var timestamp: Int64
    public var conversationType: ConversationType
    public var conversationId: String
    public var seq: Int64
    public var senderId: String
    public var senderName: String?
    public var senderAvatar: String?
    public var contentType: String
    /// Removed (`null`) once the message is recalled.
    public var content: JSONValue?
    public var atUsers: [String]
    public var replyTo: String?
    public var localId: String?
    public var recalled: Bool
    /// The message `replyTo` names, as much of it as a client needs to render the quote.
    public var quote: Quote?
    /// The content was edited (`editedAt`: when, last).
    public var edited: Bool
    public var editedAt: Int64?
    /// In history: the reactions on this message, and whether the reader made each.
    public var reactions: [ReactionCount]?
    /// In history: the reader deleted this message for themselves (its content is withheld).
    public var deleted: Bool?
    /// In group history: how many members other than the sender have read this item.
    public var readCount: Int64?

    public init(
        messageId: String, timestamp: Int64, conversationType: ConversationType, conversationId: String,
        seq: Int64, senderId: String, senderName: String?, senderAvatar: String?, contentType: String,
        content: JSONValue?, atUsers: [String], replyTo: String?, localId: String?, recalled: Bool,
        quote: Quote? = nil, edited: Bool = false, editedAt: Int64? = nil
    ) {
        self.quote = quote
        self.edited = edited
        self.editedAt = editedAt
        self.messageId = messageId
        self.timestamp = timestamp
        self.conversationType = conversationType
        self.conversationId = conversationId
        self.seq = seq
        self.senderId = senderId
        self.senderName = senderName
        self.senderAvatar = senderAvatar
        self.contentType = contentType
        self.content = content
        self.atUsers = atUsers
        self.replyTo = replyTo
        self.localId = localId
        self.recalled = recalled
    }

    private enum CodingKeys: String, CodingKey {
        case messageId, timestamp, conversationType, conversationId, seq, senderId, senderName
        case senderAvatar, contentType, content, atUsers, replyTo, localId, recalled, quote, edited, editedAt, reactions, deleted
        case readCount
    }

    // Optional fields go out as explicit `null`s: clients index them without checking presence.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(messageId, forKey: .messageId)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(conversationType, forKey: .conversationType)
        try c.encode(conversationId, forKey: .conversationId)
        try c.encode(seq, forKey: .seq)
        try c.encode(senderId, forKey: .senderId)
        try c.encode(senderName, forKey: .senderName)
        try c.encode(senderAvatar, forKey: .senderAvatar)
        try c.encode(contentType, forKey: .contentType)
        try c.encode(content, forKey: .content)
        try c.encode(atUsers, forKey: .atUsers)
        try c.encode(replyTo, forKey: .replyTo)
        try c.encode(localId, forKey: .localId)
        try c.encode(recalled, forKey: .recalled)
        try c.encode(quote, forKey: .quote)
        try c.encode(edited, forKey: .edited)
        try c.encodeIfPresent(editedAt, forKey: .editedAt)
        try c.encodeIfPresent(reactions, forKey: .reactions)
        try c.encodeIfPresent(deleted, forKey: .deleted)
        try c.encodeIfPresent(readCount, forKey: .readCount)
    }
}

/// What a reply shows of the message it answers.
public struct Quote: Codable, Sendable, Equatable {
    public var messageId: String
    public var senderId: String
    public var senderName: String?
    public var contentType: String
    /// The quoted text, or a short description of other content (`[image]`); empty once recalled.
    public var preview: String
    public var recalled: Bool

    public init(messageId: String, senderId: String, senderName: String?, contentType: String, preview: String, recalled: Bool) {
        self.messageId = messageId
        self.senderId = senderId
        self.senderName = senderName
        self.contentType = contentType
        self.preview = preview
        self.recalled = recalled
    }

    var jsonValue: JSONValue {
        .object([
            "messageId": .string(messageId), "senderId": .string(senderId), "senderName": senderName.map(JSONValue.string) ?? .null,
            "contentType": .string(contentType), "preview": .string(preview), "recalled": .bool(recalled),
        ])
    }
}

/// One emoji's reactions on a message.
public struct ReactionCount: Codable, Sendable, Equatable {
    public var emoji: String
    public var count: Int64
    /// The reader reacted with this emoji.
    public var me: Bool

    public init(emoji: String, count: Int64, me: Bool) {
        self.emoji = emoji
        self.count = count
        self.me = me
    }
}
