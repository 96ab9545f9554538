/// Who makes a request: the user, and for socket requests the session and device it came from.
public struct Caller: Sendable, Equatable {
    public var userId: String
    /// The login (auth session) whose token was presented.
    public var authSessionId: String?
    /// The WebSocket session, for requests over the socket; excluded from its own echoes.
    public var sessionId: String?
    public var deviceId: String?

    public init(userId: String, authSessionId: String? = nil, sessionId: String? = nil, deviceId: String? = nil) {
        self.userId = userId
        self.authSessionId = authSessionId
        self.sessionId = sessionId
        self.deviceId = deviceId
    }
}
