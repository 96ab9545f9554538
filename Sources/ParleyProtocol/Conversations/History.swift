/// `data` of a client `history` frame (and the query of `GET /v1/conversations/{id}/messages`).
///
/// With `afterSeq`, the page starts just after it and goes forward; with `beforeSeq` (or
/// neither), the page ends just before it (or at the newest item). Items are always in
/// ascending `seq` order.
public struct HistoryRequest: Codable, Sendable, Equatable {
    public var conversationId: String
    public var afterSeq: Int64?
    public var beforeSeq: Int64?
    public var limit: Int?

    public init(conversationId: String, afterSeq: Int64? = nil, beforeSeq: Int64? = nil, limit: Int? = nil) {
        self.conversationId = conversationId
        self.afterSeq = afterSeq
        self.beforeSeq = beforeSeq
        self.limit = limit
    }
}

/// `data` of the `history` reply.
public struct HistoryResponse: Codable, Sendable, Equatable {
    public var messages: [MessagePayload]
    /// True when more items exist in the direction of the page.
    public var hasMore: Bool

    public init(messages: [MessagePayload], hasMore: Bool) {
        self.messages = messages
        self.hasMore = hasMore
    }
}
