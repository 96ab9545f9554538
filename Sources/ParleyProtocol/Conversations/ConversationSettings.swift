/// `PATCH /v1/conversations/{conversationId}` body, and the settings it answers with.
public struct ConversationSettings: Codable, Sendable, Equatable {
    public var conversationId: String?
    public var pinned: Bool?
    public var muted: Bool?
    /// Hide from the conversation list until a newer message arrives.
    public var hidden: Bool?

    public init(conversationId: String? = nil, pinned: Bool? = nil, muted: Bool? = nil, hidden: Bool? = nil) {
        self.conversationId = conversationId
        self.pinned = pinned
        self.muted = muted
        self.hidden = hidden
    }
}
