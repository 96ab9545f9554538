/// A user's or a device's presence.
public enum PresenceStatus: String, Codable, Sendable, Equatable {
    case online
    case away
    case offline
}

/// One connected device's presence.
public struct DevicePresence: Codable, Sendable, Equatable {
    public var deviceId: String
    public var platform: String
    public var status: PresenceStatus

    public init(deviceId: String, platform: String, status: PresenceStatus) {
        self.deviceId = deviceId
        self.platform = platform
        self.status = status
    }
}

/// A user's aggregate presence: `online` if any device is, `away` if every device is away,
/// `offline` when none is connected. In `GET /v1/presence` and the `presence` notification.
public struct UserPresence: Codable, Sendable, Equatable {
    public var userId: String
    public var status: PresenceStatus
    public var devices: [DevicePresence]
    /// When the user was last online (epoch ms): now while online; nil if never seen.
    public var lastSeen: Int64?

    public init(userId: String, status: PresenceStatus, devices: [DevicePresence], lastSeen: Int64?) {
        self.userId = userId
        self.status = status
        self.devices = devices
        self.lastSeen = lastSeen
    }

    private enum CodingKeys: String, CodingKey { case userId, status, devices, lastSeen }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(userId, forKey: .userId)
        try c.encode(status, forKey: .status)
        try c.encode(devices, forKey: .devices)
        try c.encode(lastSeen, forKey: .lastSeen)
    }
}

/// `GET /v1/presence`.
public struct PresenceList: Codable, Sendable, Equatable {
    public var presence: [UserPresence]
    public init(presence: [UserPresence]) { self.presence = presence }
}

/// Client → server `presence` frame: this device's status.
public struct PresenceUpdate: Codable, Sendable, Equatable {
    /// `online` or `away`.
    public var status: PresenceStatus
    public init(status: PresenceStatus) { self.status = status }
}
