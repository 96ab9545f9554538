import ParleyStore

/// One notification for one device, as every provider is given it: what to show, and which
/// conversation and message it is about.
public struct PushNotification: Sendable, Equatable {
    /// The push log entry's id: the same on every retry (a receiver's idempotency key).
    public var pushId: String
    public var userId: String
    public var conversationId: String
    public var messageId: String
    /// The sender (in a group: "Sender @ Group"), or "New message" without preview.
    public var title: String
    /// A preview of the content; empty without preview.
    public var body: String
    /// The user's total unread.
    public var badge: Int
    /// In the user's quiet hours: delivered without sound, as a passive notification.
    public var quiet: Bool
    /// When the message was sent (ms since 1970).
    public var timestamp: Int64
    /// 1 on the first call for this push, 2 on its first retry, …
    public var attempt: Int

    public init(
        pushId: String, userId: String, conversationId: String, messageId: String, title: String, body: String, badge: Int,
        quiet: Bool, timestamp: Int64, attempt: Int = 1
    ) {
        self.attempt = attempt
        self.pushId = pushId
        self.userId = userId
        self.conversationId = conversationId
        self.messageId = messageId
        self.title = title
        self.body = body
        self.badge = badge
        self.quiet = quiet
        self.timestamp = timestamp
    }
}

/// How one provider call ended.
public enum PushResult: Sendable, Equatable {
    case sent
    /// The provider says the token will never work again: it is deleted.
    case deadToken(reason: String)
    /// Worth another try (a 5xx, a 429, no answer), not before `after` when the provider said so.
    case retry(reason: String, after: Duration?)
    /// Refused for good (a 4xx about the request, a misconfiguration).
    case failed(reason: String)
}

/// A push service (APNs, FCM, HMS, MiPush, a webhook): sends one notification to one token.
public protocol PushProvider: Sendable {
    func send(_ notification: PushNotification, to token: PushTokenRecord) async -> PushResult
}

/// An e-mail to send (the `email` provider's digests).
public struct OutgoingEmail: Sendable, Equatable {
    public var to: String
    public var subject: String
    /// Plain text.
    public var body: String
    /// Stable across retries (the Message-ID's left part).
    public var id: String

    public init(to: String, subject: String, body: String, id: String) {
        self.to = to
        self.subject = subject
        self.body = body
        self.id = id
    }
}

/// Sends e-mail (SMTP).
public protocol EmailSender: Sendable {
    func send(_ email: OutgoingEmail) async -> PushResult
}
