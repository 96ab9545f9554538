/// `POST /v1/push/tokens`: a device's address for offline push.
public struct PushTokenRegistration: Codable, Sendable, Equatable {
    /// `apns`, `fcm`, `hms`, `mipush`, `webhook` or `email`.
    public var provider: String
    /// The device token (an e-mail address for `email`).
    public var token: String
    /// The device, as in the WebSocket's `deviceId`.
    public var deviceId: String
    /// APNs only: a development (sandbox) build's token.
    public var sandbox: Bool?

    public init(provider: String, token: String, deviceId: String, sandbox: Bool? = nil) {
        self.provider = provider
        self.token = token
        self.deviceId = deviceId
        self.sandbox = sandbox
    }
}

/// The answer to `POST /v1/push/tokens`.
public struct PushTokenRegistered: Codable, Sendable, Equatable {
    public var tokenId: String
    public init(tokenId: String) { self.tokenId = tokenId }
}

/// One registered token, as `GET /v1/push/tokens` lists it: the token itself masked.
public struct PushTokenInfo: Codable, Sendable, Equatable {
    public var tokenId: String
    public var provider: String
    public var deviceId: String
    /// The token's first and last characters only (`a1b2…9f0e`).
    public var token: String
    public var sandbox: Bool
    public var createdAt: Int64

    public init(tokenId: String, provider: String, deviceId: String, token: String, sandbox: Bool, createdAt: Int64) {
        self.tokenId = tokenId
        self.provider = provider
        self.deviceId = deviceId
        self.token = token
        self.sandbox = sandbox
        self.createdAt = createdAt
    }
}

/// `GET /v1/push/tokens`.
public struct PushTokenList: Codable, Sendable, Equatable {
    public var tokens: [PushTokenInfo]
    public init(tokens: [PushTokenInfo]) { self.tokens = tokens }
}

/// Quiet hours: `"HH:MM"` local times (an end before the start spans midnight) in an IANA zone.
public struct QuietHoursSetting: Codable, Sendable, Equatable {
    public var start: String
    public var end: String
    public var timeZone: String

    public init(start: String, end: String, timeZone: String) {
        self.start = start
        self.end = end
        self.timeZone = timeZone
    }
}

/// `GET /v1/push/settings`, and the answer to `PATCH`.
public struct PushSettings: Codable, Sendable, Equatable {
    public var enabled: Bool
    /// False: pushes say "New message" instead of the sender and the text.
    public var preview: Bool
    public var quietHours: QuietHoursSetting?

    public init(enabled: Bool, preview: Bool, quietHours: QuietHoursSetting?) {
        self.enabled = enabled
        self.preview = preview
        self.quietHours = quietHours
    }

    private enum CodingKeys: String, CodingKey { case enabled, preview, quietHours }

    // `quietHours` goes out as an explicit `null` when there are none.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(enabled, forKey: .enabled)
        try c.encode(preview, forKey: .preview)
        try c.encode(quietHours, forKey: .quietHours)
    }
}

/// `PATCH /v1/push/settings`: absent fields stay; `"quietHours": null` removes them.
public struct PushSettingsUpdate: Codable, Sendable, Equatable {
    public var enabled: Bool?
    public var preview: Bool?
    /// nil: unchanged; `.some(nil)`: removed.
    public var quietHours: QuietHoursSetting??

    public init(enabled: Bool? = nil, preview: Bool? = nil, quietHours: QuietHoursSetting?? = nil) {
        self.enabled = enabled
        self.preview = preview
        self.quietHours = quietHours
    }

    private enum CodingKeys: String, CodingKey { case enabled, preview, quietHours }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled)
        preview = try c.decodeIfPresent(Bool.self, forKey: .preview)
        if c.contains(.quietHours) {
            quietHours = .some(try c.decodeNil(forKey: .quietHours) ? nil : try c.decode(QuietHoursSetting.self, forKey: .quietHours))
        } else {
            quietHours = nil
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeIfPresent(enabled, forKey: .enabled)
        try c.encodeIfPresent(preview, forKey: .preview)
        if let quietHours { try c.encode(quietHours, forKey: .quietHours) }
    }
}

/// One push of one message to one device, as `GET /v1/push/log` shows it.
public struct PushLogEntry: Codable, Sendable, Equatable {
    public var id: String
    public var messageId: String
    public var conversationId: String
    public var provider: String
    public var tokenId: String
    /// `pending`, `sent`, `failed` or `skipped`.
    public var status: String
    /// Why it was skipped (`online`, `disabled`, `muted`, `blocked`, `recalled`, `read`, …) or failed (the provider's reason).
    public var reason: String?
    public var attempts: Int
    public var createdAt: Int64
    public var sentAt: Int64?
    /// Whose push it is (the admin log only).
    public var userId: String?

    public init(
        id: String, messageId: String, conversationId: String, provider: String, tokenId: String, status: String, reason: String?,
        attempts: Int, createdAt: Int64, sentAt: Int64?, userId: String? = nil
    ) {
        self.id = id
        self.messageId = messageId
        self.conversationId = conversationId
        self.provider = provider
        self.tokenId = tokenId
        self.status = status
        self.reason = reason
        self.attempts = attempts
        self.createdAt = createdAt
        self.sentAt = sentAt
        self.userId = userId
    }
}

/// `GET /v1/push/log`: newest first.
public struct PushLog: Codable, Sendable, Equatable {
    public var entries: [PushLogEntry]
    public init(entries: [PushLogEntry]) { self.entries = entries }
}
