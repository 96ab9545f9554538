import ParleyProtocol
import ParleyStore

/// What a pre-send hook sees of a message about to be stored.
public struct PendingMessage: Codable, Sendable, Equatable {
    public var senderId: String
    public var conversationId: String
    public var conversationType: ConversationType
    public var contentType: String
    public var content: JSONValue
    public var localId: String

    public init(senderId: String, conversationId: String, conversationType: ConversationType, contentType: String, content: JSONValue, localId: String) {
        self.senderId = senderId
        self.conversationId = conversationId
        self.conversationType = conversationType
        self.contentType = contentType
        self.content = content
        self.localId = localId
    }
}

/// A hook's answer.
public enum SendDecision: Sendable, Equatable {
    case allow
    /// Store this content instead (validated again, like the original).
    case rewrite(JSONValue)
    case reject(reason: String)
}

/// Reviews messages before they are stored (the pre-send webhook). Throwing means the hook
/// could not answer; `Chat` then allows or refuses by the hook's own policy (`failOpen`).
public protocol SendHook: Sendable {
    var failOpen: Bool { get }
    func review(_ message: PendingMessage) async throws -> SendDecision
}

extension Chat {
    /// Runs the pre-send hook, if any, and returns the content to store.
    func reviewed(_ content: (value: JSONValue, text: String), type: String, target: MessageTarget, localId: String, by caller: Caller) async throws -> (value: JSONValue, text: String) {
        guard let hook else { return content }
        let pending = PendingMessage(
            senderId: caller.userId, conversationId: target.conversationId, conversationType: ConversationID.type(of: target.conversationId),
            contentType: type, content: content.value, localId: localId)
        let decision: SendDecision
        do {
            decision = try await hook.review(pending)
        } catch {
            logger.warning("pre-send hook failed", metadata: ["error": "\(error)", "failOpen": "\(hook.failOpen)"])
            if hook.failOpen { return content }
            throw ChatError(.internal, "the message could not be reviewed; nothing was stored, retry later")
        }
        switch decision {
        case .allow:
            return content
        case .rewrite(let replacement):
            return try screen(try MessageContent.validate(type: type, content: replacement, limits: limits), type: type)
        case .reject(let reason):
            throw ChatError.forbidden("the message was refused: \(reason.prefix(200))")
        }
    }
}
