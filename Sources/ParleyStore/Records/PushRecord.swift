/// A device's address for offline push: an APNs or FCM device token, an HMS or MiPush
/// registration id, a webhook receiver's device key, or an e-mail address.
public struct PushTokenRecord: Sendable, Equatable {
    public var id: String
    public var userId: String
    /// `apns`, `fcm`, `hms`, `mipush`, `webhook` or `email`.
    public var provider: String
    public var token: String
    /// The device (as in the WebSocket's `deviceId`) the token belongs to.
    public var deviceId: String
    /// APNs: the token is for the sandbox environment.
    public var sandbox: Bool
    /// The login that registered it: the token goes when that login ends (logout).
    public var loginId: String?
    public var createdAt: Int64

    public init(
        id: String, userId: String, provider: String, token: String, deviceId: String, sandbox: Bool = false, loginId: String? = nil,
        createdAt: Int64
    ) {
        self.loginId = loginId
        self.id = id
        self.userId = userId
        self.provider = provider
        self.token = token
        self.deviceId = deviceId
        self.sandbox = sandbox
        self.createdAt = createdAt
    }
}

/// A user's push preferences.
public struct PushSettingsRecord: Sendable, Equatable {
    /// No push at all when false.
    public var enabled: Bool
    /// False: "New message" instead of the sender and the text.
    public var preview: Bool
    /// Quiet hours, minutes after local midnight (`start` may be after `end`: over midnight),
    /// in an IANA time zone; nil when there are none.
    public var quietHours: QuietHours?

    public init(enabled: Bool = true, preview: Bool = true, quietHours: QuietHours? = nil) {
        self.enabled = enabled
        self.preview = preview
        self.quietHours = quietHours
    }

    public struct QuietHours: Sendable, Equatable {
        public var startMinute: Int
        public var endMinute: Int
        public var timeZone: String

        public init(startMinute: Int, endMinute: Int, timeZone: String) {
            self.startMinute = startMinute
            self.endMinute = endMinute
            self.timeZone = timeZone
        }
    }
}

/// One push of one message to one token, as the push log shows it: created `pending` before
/// the provider is called (so a push is never sent twice once it succeeded), then `sent`,
/// `failed` or `skipped` (with the reason).
public struct PushLogRecord: Sendable, Equatable {
    /// `<messageId>.<tokenId>` for a message push; an e-mail digest has its window's id.
    public var id: String
    public var userId: String
    public var messageId: String
    public var conversationId: String
    public var provider: String
    public var tokenId: String
    public var status: Status
    public var reason: String?
    /// Provider calls made so far.
    public var attempts: Int
    public var createdAt: Int64
    public var sentAt: Int64?

    public enum Status: String, Sendable {
        case pending, sent, failed, skipped
        /// Sent, failed or skipped: nothing more will happen to the entry.
        public var isFinal: Bool { self != .pending }
    }

    public init(
        id: String, userId: String, messageId: String, conversationId: String, provider: String, tokenId: String,
        status: Status, reason: String? = nil, attempts: Int = 0, createdAt: Int64, sentAt: Int64? = nil
    ) {
        self.id = id
        self.userId = userId
        self.messageId = messageId
        self.conversationId = conversationId
        self.provider = provider
        self.tokenId = tokenId
        self.status = status
        self.reason = reason
        self.attempts = attempts
        self.createdAt = createdAt
        self.sentAt = sentAt
    }
}
