/// `data` of a client `typing` frame.
public struct TypingRequest: Codable, Sendable, Equatable {
    public var conversationId: String
    public var state: TypingState

    public init(conversationId: String, state: TypingState) {
        self.conversationId = conversationId
        self.state = state
    }
}

public enum TypingState: String, Codable, Sendable, Equatable {
    case start
    case stop
}
