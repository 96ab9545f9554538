/// `data` of a client `ack` frame: a cumulative receipt for everything up to `seq`.
public struct ReceiptRequest: Codable, Sendable, Equatable {
    public var conversationId: String
    public var seq: Int64
    public var status: ReceiptStatus

    public init(conversationId: String, seq: Int64, status: ReceiptStatus) {
        self.conversationId = conversationId
        self.seq = seq
        self.status = status
    }
}

/// How far a member has got with a conversation.
public enum ReceiptStatus: String, Codable, Sendable, Equatable {
    case delivered
    case read
}

/// `data` of the `ack` that confirms a receipt (only sent when the receipt had a `requestId`).
public struct ReceiptAck: Codable, Sendable, Equatable {
    public var status: ReceiptStatus
    public var conversationId: String
    /// The member's cursor after the receipt (never lower than before).
    public var seq: Int64

    public init(status: ReceiptStatus, conversationId: String, seq: Int64) {
        self.status = status
        self.conversationId = conversationId
        self.seq = seq
    }
}
