/// The machine-readable reason of an `error` frame or HTTP error body.
public enum ErrorCode: String, Codable, Sendable, CaseIterable {
    /// Malformed JSON, unknown frame type, a missing or mistyped field, a value out of range.
    case badRequest = "bad_request"
    /// No credentials, or credentials that are invalid, expired or revoked.
    case unauthorized
    /// Authenticated, but not allowed: not a member, recall window passed, …
    case forbidden
    /// The named user, conversation or message does not exist (or is not visible).
    case notFound = "not_found"
    /// The request clashes with existing state: a taken username, a reused refresh token.
    case conflict
    /// A frame, body or text over its size limit.
    case tooLarge = "too_large"
    /// An upload whose bytes are not of a type the server takes as the kind declared (HTTP 415).
    case unsupportedMediaType = "unsupported_media_type"
    /// A rate limit was hit; `retryAfterMs` says when to try again.
    case rateLimited = "rate_limited"
    /// The recipient blocks the sender.
    case blocked
    /// The server is too busy to take this now (HTTP 503); `retryAfterMs` says when to retry.
    case unavailable
    /// The server failed; nothing was stored. Safe to retry with the same `localId`.
    case `internal`
}

/// `data` of an `error` frame; in HTTP, the value of `{"error": …}`.
public struct ErrorPayload: Codable, Sendable, Equatable {
    public var code: ErrorCode
    public var message: String
    /// With `rate_limited`: milliseconds until a retry may succeed.
    public var retryAfterMs: Int64?

    public init(code: ErrorCode, message: String, retryAfterMs: Int64? = nil) {
        self.code = code
        self.message = message
        self.retryAfterMs = retryAfterMs
    }
}
