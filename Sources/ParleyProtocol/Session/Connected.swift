/// `data` of the `connected` frame, the first frame of every session.
public struct ConnectedPayload: Codable, Sendable, Equatable {
    public var userId: String
    public var deviceId: String
    public var sessionId: String
    public var serverTime: Int64
    /// Seconds between the client's `ping`s.
    public var heartbeatInterval: Int
    /// Seconds of silence after which the server closes the session.
    public var idleTimeout: Int

    public init(userId: String, deviceId: String, sessionId: String, serverTime: Int64, heartbeatInterval: Int, idleTimeout: Int) {
        self.userId = userId
        self.deviceId = deviceId
        self.sessionId = sessionId
        self.serverTime = serverTime
        self.heartbeatInterval = heartbeatInterval
        self.idleTimeout = idleTimeout
    }
}

/// The platforms a device may announce in `GET /v1/ws?platform=`.
public enum Platform: String, Codable, Sendable, CaseIterable {
    case ios, android, web, desktop, pad
}
