/// `data` of a client `message` frame, and the body of `POST /v1/messages`.
///
/// The target is `receiverId` (private), `groupId` (group) or `conversationId` (either).
public struct SendMessage: Codable, Sendable, Equatable {
    public var conversationType: ConversationType?
    public var receiverId: String?
    public var groupId: String?
    public var conversationId: String?
    public var contentType: String
    public var content: JSONValue
    /// Client-chosen id; the same sender and `localId` is the same message.
    public var localId: String
    public var atUsers: [String]?
    public var replyTo: String?

    public init(
        conversationType: ConversationType? = nil, receiverId: String? = nil, groupId: String? = nil,
        conversationId: String? = nil, contentType: String, content: JSONValue, localId: String,
        atUsers: [String]? = nil, replyTo: String? = nil
    ) {
        self.conversationType = conversationType
        self.receiverId = receiverId
        self.groupId = groupId
        self.conversationId = conversationId
        self.contentType = contentType
        self.content = content
        self.localId = localId
        self.atUsers = atUsers
        self.replyTo = replyTo
    }
}

/// `private` or `group`.
public enum ConversationType: String, Codable, Sendable, Equatable {
    case `private`
    case group
}

/// `data` of the `ack` that answers a send (and of `POST /v1/messages`).
public struct SendAck: Codable, Sendable, Equatable {
    /// Always `sent`: the message is durably stored.
    public var status: String
    public var localId: String
    public var messageId: String
    public var conversationId: String
    public var seq: Int64
    public var timestamp: Int64

    public init(localId: String, messageId: String, conversationId: String, seq: Int64, timestamp: Int64) {
        self.status = "sent"
        self.localId = localId
        self.messageId = messageId
        self.conversationId = conversationId
        self.seq = seq
        self.timestamp = timestamp
    }
}
