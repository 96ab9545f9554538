import ParleyProtocol
import ParleyStore

/// A failure with its wire code, decided once at the domain edge. Gateways turn it into
/// an `error` frame or an HTTP error body without looking inside.
public struct ChatError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var retryAfterMs: Int64?

    public init(_ code: ErrorCode, _ message: String, retryAfterMs: Int64? = nil) {
        self.code = code
        self.message = message
        self.retryAfterMs = retryAfterMs
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public var payload: ErrorPayload { ErrorPayload(code: code, message: message, retryAfterMs: retryAfterMs) }

    public static func badRequest(_ message: String) -> ChatError { ChatError(.badRequest, message) }
    public static func forbidden(_ message: String) -> ChatError { ChatError(.forbidden, message) }
    public static func notFound(_ message: String) -> ChatError { ChatError(.notFound, message) }
    public static let unauthorized = ChatError(.unauthorized, "missing, invalid, expired or revoked credentials")
    /// A failure of the server's own, with nothing for the client to fix.
    public static let internalFailure = ChatError(.internal, "internal error; nothing was stored, retry later")

    /// Maps any error to what a client may see: domain errors as they are, protocol
    /// violations as `bad_request`, everything else as `internal` with no detail leaked.
    public static func from(_ error: any Error) -> ChatError {
        switch error {
        case let error as ChatError: return error
        case let error as ProtocolViolation: return .badRequest(error.message)
        case StoreError.notFound(let what): return .notFound("\(what) not found")
        case StoreError.duplicate(let what): return ChatError(.conflict, "\(what) already exists")
        case StoreError.full(let what): return ChatError(.conflict, "the \(what) is full")
        default: return ChatError(.internal, "internal error; nothing was stored, retry later")
        }
    }
}
