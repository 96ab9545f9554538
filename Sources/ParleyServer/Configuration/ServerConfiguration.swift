import Logging
import ParleyCore

/// Everything an operator can set. Defaults run a laptop node; see docs/operations.md.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var dataDirectory = "./parley-data"
    /// HMAC secret for access tokens (≥ 32 bytes). Nil: generated once and kept in the data directory.
    public var jwtSecret: String?
    public var tokens = Accounts.TokenLifetimes()
    public var bcryptCost = 10
    /// Seconds between client pings the server asks for, and of silence before it closes a session.
    public var heartbeatInterval = 30
    public var idleTimeout = 90
    /// Largest accepted frame, decoded (a bigger one gets `too_large`).
    public var maxFrameBytes = 64 * 1024
    /// Frames a session may have waiting to be written before it is cut off as a slow consumer.
    public var outboundQueueFrames = 1024
    /// Bytes a session may have waiting to be written before it is cut off: the frame count
    /// alone let 1,024 large history pages pile up for a client that never read.
    public var outboundQueueBytes = 4 << 20
    /// `history` and `sync` requests per second per session (and, over HTTP, history, sync,
    /// search and the conversation list per user), and the burst allowed above it.
    public var readRate: Double = 30
    public var readBurst: Double = 300
    /// Registrations per second per client address, and burst (each costs a bcrypt hash).
    public var registerRate: Double = 5
    public var registerBurst: Double = 100
    /// Load balancers whose `X-Forwarded-For` says who the client is (their own addresses);
    /// none: every peer is the client.
    public var trustedProxies: [String] = []
    /// Token refreshes per second per client address, and burst.
    public var refreshRate: Double = 1
    public var refreshBurst: Double = 30
    /// `message` frames per second per session, and the burst allowed above it.
    public var messageRate: Double = 30
    public var messageBurst: Double = 300
    /// Messages per second per user across their sessions, and burst (seed 003's "10 messages in
    /// 60 s" is rate 0.1667, burst 10).
    public var userMessageRate: Double = 30
    public var userMessageBurst: Double = 300
    /// Receipts (`ack`) per second per session, and burst.
    public var receiptRate: Double = 50
    public var receiptBurst: Double = 500
    /// `typing` frames per second per session, and burst.
    public var typingRate: Double = 2
    public var typingBurst: Double = 5
    /// Rejections in a row after which a session that keeps ignoring limits is closed.
    public var abuseLimit = 200
    public var limits = ChatLimits()
    /// fsync every commit (`full`) or at checkpoints (`normal`).
    public var durability = "full"
    /// The sensitive-word rules file (`mask <word>` / `reject <word>` per line); none when nil.
    public var filterRules: String?
    /// Failed logins allowed per account and per address in a window.
    public var loginLimits = LoginThrottle.Limits()
    /// The pre-send webhook: URL, how long to wait, and whether a failure lets the message through.
    public var webhookURL: String?
    public var webhookTimeoutMs = 500
    public var webhookFailOpen = true
    /// The event webhook: message events (sent, recalled, edited) posted after they happen,
    /// through the durable task queue, retried until taken.
    public var eventWebhookURL: String?
    public var eventWebhookTimeoutMs = 5_000
    /// Runs of a task (event webhook call) before it is dead-lettered.
    public var taskAttempts = 5
    /// The wait before a failed task's second run; each later wait is four times longer.
    public var taskBackoffMs = 1_000
    /// Signs event webhook posts (`Parley-Signature`) when set.
    public var eventWebhookSecret: String?
    /// Offline push: providers, retries, e-mail digests (docs/operations.md, "Offline push").
    public var push = PushConfiguration()
    /// Uploads: where they are kept, their limits (docs/operations.md, "Media").
    public var media = MediaConfiguration()
    /// The browser client at `/` (docs/operations.md, "Web client").
    public var web = WebClientConfiguration()
    /// The credential of the admin API (`Authorization: Bearer <token>`); the API is off when nil.
    public var adminToken: String?
    /// NATS for a cluster: `nats://host:port`; one node alone without it.
    public var natsURL: String?
    /// Seconds a new connection may take to begin its first request before it is closed.
    public var handshakeTimeout = 10
    /// In a cluster, how long a node's presence entries live without a heartbeat (seconds):
    /// the sessions of a node that died show offline after at most this long.
    public var presenceTTLSeconds = 15
    /// PostgreSQL instead of the embedded store: `postgres://user:password@host:port/database`.
    public var databaseURL: String?
    /// Pooled PostgreSQL connections for reads (the writer has its own).
    public var databasePoolSize = 8
    /// 0…1023; distinct per node of a cluster (part of every generated id).
    public var nodeId = 0
    public var logLevel = Logger.Level.info

    public init() {}

    /// The longest duration any setting takes (a year): flags are checked against it, so no
    /// product of a duration overflows.
    public static let maxDurationSeconds = 31_536_000
}

/// Whether the node serves the browser client, and from where.
public struct WebClientConfiguration: Sendable {
    /// Off: `/` and `/assets/` are not served (an API-only node).
    public var enabled = true
    /// For work on the client: its files are read from this folder on every request, uncached,
    /// instead of the copy built into the binary.
    public var directory: String?

    public init() {}
}

/// Where and how offline pushes go. A provider is on when its settings are complete.
public struct PushConfiguration: Sendable {
    public var apnsKeyFile: String?
    public var apnsKeyId: String?
    public var apnsTeamId: String?
    public var apnsTopic: String?
    public var apnsURL = "https://api.push.apple.com"
    public var apnsSandboxURL = "https://api.sandbox.push.apple.com"
    public var fcmCredentialsFile: String?
    public var fcmURL = "https://fcm.googleapis.com"
    public var hmsClientId: String?
    public var hmsClientSecret: String?
    public var hmsTokenURL = "https://oauth-login.cloud.huawei.com/oauth2/v3/token"
    public var hmsURL = "https://push-api.cloud.huawei.com"
    public var mipushAppSecret: String?
    public var mipushPackage: String?
    public var mipushURL = "https://api.xmpush.xiaomi.com"
    public var webhookURL: String?
    public var webhookSecret: String?
    public var smtpURL: String?
    public var smtpFrom: String?
    public var smtpUsername: String?
    public var smtpPassword: String?
    /// One e-mail per conversation per this many seconds.
    public var emailDelaySeconds = 600
    /// Extra trusted CA certificates (PEM) for every push endpoint.
    public var caFile: String?
    /// Provider calls per push.
    public var attempts = 3
    public var backoffMs = 1_000
    public var timeoutMs = 10_000
    /// Push log entries are kept this many days.
    public var logDays = 30

    public init() {}

    /// Whether any provider is configured (without one, messages create no push tasks).
    public var isOn: Bool {
        apnsKeyFile != nil || fcmCredentialsFile != nil || hmsClientId != nil || mipushAppSecret != nil || webhookURL != nil
            || smtpURL != nil
    }
}

/// Where uploads are kept and what they may be.
public struct MediaConfiguration: Sendable {
    /// The local store's directory (and always where uploads are received and resumable ones
    /// kept); nil: `<data-dir>/media`.
    public var directory: String?
    public var limits = MediaLimits()
    /// An S3-compatible bucket instead of the local directory: set for clusters.
    public var s3Endpoint: String?
    public var s3Bucket: String?
    public var s3Region = "us-east-1"
    public var s3AccessKey: String?
    public var s3SecretKey: String?

    public init() {}
}
