/// `data` of a client `recall` frame.
public struct RecallRequest: Codable, Sendable, Equatable {
    public var conversationId: String
    public var messageId: String

    public init(conversationId: String, messageId: String) {
        self.conversationId = conversationId
        self.messageId = messageId
    }
}

/// `data` of the `ack` that answers a recall.
public struct RecallAck: Codable, Sendable, Equatable {
    /// Always `recalled`.
    public var status: String
    public var conversationId: String
    /// The recalled message.
    public var messageId: String
    /// The seq of the recall event itself.
    public var seq: Int64
    public var timestamp: Int64

    public init(conversationId: String, messageId: String, seq: Int64, timestamp: Int64) {
        self.status = "recalled"
        self.conversationId = conversationId
        self.messageId = messageId
        self.seq = seq
        self.timestamp = timestamp
    }
}
