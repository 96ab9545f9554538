import ArgumentParser
import Foundation
import Logging
import ParleyCore
import ParleyServer

@main
struct Parley: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parley",
        abstract: "Parley: a chat message service.",
        subcommands: [Serve.self, Migrate.self, ChatCommand.self, BenchCommand.self],
        defaultSubcommand: Serve.self)
}

/// `parley serve`: runs a node. Every option also reads `PARLEY_<NAME>` from the
/// environment (a flag wins over the environment); see docs/operations.md.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a Parley node.")

    @Option(help: "Address to listen on (env PARLEY_HOST).") var host: String?
    @Option(help: "Port to listen on; 0 picks a free one (env PARLEY_PORT).") var port: Int?
    @Option(name: .customLong("data-dir"), help: "Directory for the embedded database (env PARLEY_DATA_DIR).") var dataDir: String?
    @Option(name: .customLong("jwt-secret"), help: "HMAC secret for access tokens, ≥ 32 bytes (env PARLEY_JWT_SECRET). Default: generated into the data directory.") var jwtSecret: String?
    @Option(name: .customLong("access-token-ttl"), help: "Access token lifetime, seconds (env PARLEY_ACCESS_TOKEN_TTL).") var accessTokenTTL: Int?
    @Option(name: .customLong("refresh-token-ttl"), help: "Refresh token lifetime, seconds (env PARLEY_REFRESH_TOKEN_TTL).") var refreshTokenTTL: Int?
    @Option(name: .customLong("bcrypt-cost"), help: "bcrypt cost factor, 4…31 (env PARLEY_BCRYPT_COST).") var bcryptCost: Int?
    @Option(name: .customLong("heartbeat-interval"), help: "Seconds between client pings (env PARLEY_HEARTBEAT_INTERVAL).") var heartbeatInterval: Int?
    @Option(name: .customLong("idle-timeout"), help: "Seconds of client silence before a session is closed (env PARLEY_IDLE_TIMEOUT).") var idleTimeout: Int?
    @Option(name: .customLong("max-frame-bytes"), help: "Largest client frame, bytes (env PARLEY_MAX_FRAME_BYTES).") var maxFrameBytes: Int?
    @Option(name: .customLong("max-text-length"), help: "Longest text message, characters (env PARLEY_MAX_TEXT_LENGTH).") var maxTextLength: Int?
    @Option(name: .customLong("outbound-queue"), help: "Frames queued per session before a slow consumer is cut off (env PARLEY_OUTBOUND_QUEUE).") var outboundQueue: Int?
    @Option(name: .customLong("outbound-queue-bytes"), help: "Bytes queued per session before a slow consumer is cut off, ≥ 65536 (env PARLEY_OUTBOUND_QUEUE_BYTES, default 4 MiB).") var outboundQueueBytes: Int?
    @Option(name: .customLong("read-rate"), help: "history/sync requests per second per session; history, sync, search per user over HTTP (env PARLEY_READ_RATE, default 30).") var readRate: Double?
    @Option(name: .customLong("read-burst"), help: "Read burst (env PARLEY_READ_BURST, default 300).") var readBurst: Double?
    @Option(name: .customLong("register-rate"), help: "Registrations per second per client address (env PARLEY_REGISTER_RATE, default 5).") var registerRate: Double?
    @Option(name: .customLong("register-burst"), help: "Registration burst per client address (env PARLEY_REGISTER_BURST, default 100).") var registerBurst: Double?
    @Option(name: .customLong("refresh-rate"), help: "Token refreshes per second per client address (env PARLEY_REFRESH_RATE, default 1).") var refreshRate: Double?
    @Option(name: .customLong("refresh-burst"), help: "Token refresh burst per client address (env PARLEY_REFRESH_BURST, default 30).") var refreshBurst: Double?
    @Option(name: .customLong("trusted-proxies"), help: "Comma-separated addresses of load balancers whose X-Forwarded-For names the client, for per-address limits (env PARLEY_TRUSTED_PROXIES).") var trustedProxies: String?
    @Option(name: .customLong("max-forward-bytes"), help: "Largest stored merged forward, bytes of JSON, 1024…1048576 (env PARLEY_MAX_FORWARD_BYTES, default 65536).") var maxForwardBytes: Int?
    @Option(name: .customLong("message-rate"), help: "Messages per second per session (env PARLEY_MESSAGE_RATE, default 30).") var messageRate: Double?
    @Option(name: .customLong("message-burst"), help: "Message burst per session (env PARLEY_MESSAGE_BURST).") var messageBurst: Double?
    @Option(name: .customLong("typing-rate"), help: "Typing notices per second per session (env PARLEY_TYPING_RATE).") var typingRate: Double?
    @Option(name: .customLong("recall-window"), help: "Seconds after sending that a sender may recall (env PARLEY_RECALL_WINDOW).") var recallWindow: Int?
    @Option(name: .customLong("edit-window"), help: "Seconds after sending that a sender may edit (env PARLEY_EDIT_WINDOW, default 86400).") var editWindow: Int?
    @Option(name: .customLong("user-message-rate"), help: "Messages per second per user across sessions (env PARLEY_USER_MESSAGE_RATE, default 30).") var userMessageRate: Double?
    @Option(name: .customLong("user-message-burst"), help: "Message burst per user (env PARLEY_USER_MESSAGE_BURST, default 300).") var userMessageBurst: Double?
    @Option(name: .customLong("receipt-rate"), help: "Receipts per second per session, burst 10x (env PARLEY_RECEIPT_RATE, default 50).") var receiptRate: Double?
    @Option(name: .customLong("login-attempts"), help: "Failed logins per account in 5 minutes before throttling; 4x per address (env PARLEY_LOGIN_ATTEMPTS, default 5).") var loginAttempts: Int?
    @Option(name: .customLong("filter-rules"), help: "Sensitive-word rules file, reloaded when it changes (env PARLEY_FILTER_RULES).") var filterRules: String?
    @Option(name: .customLong("webhook-url"), help: "Pre-send webhook that may allow, rewrite or reject each message (env PARLEY_WEBHOOK_URL).") var webhookURL: String?
    @Option(name: .customLong("webhook-timeout-ms"), help: "How long to wait for the webhook (env PARLEY_WEBHOOK_TIMEOUT_MS, default 500).") var webhookTimeoutMs: Int?
    @Option(name: .customLong("webhook-fail-open"), help: "true: a failed webhook lets the message through; false: refuses it (env PARLEY_WEBHOOK_FAIL_OPEN, default true).") var webhookFailOpen: Bool?
    @Option(name: .customLong("event-webhook-url"), help: "Where message events (sent, recalled, edited) are posted, retried until taken (env PARLEY_EVENT_WEBHOOK_URL).") var eventWebhookURL: String?
    @Option(name: .customLong("event-webhook-timeout-ms"), help: "How long one event post may take (env PARLEY_EVENT_WEBHOOK_TIMEOUT_MS, default 5000).") var eventWebhookTimeoutMs: Int?
    @Option(name: .customLong("event-webhook-secret"), help: "Signs event webhook posts with Parley-Signature (env PARLEY_EVENT_WEBHOOK_SECRET).") var eventWebhookSecret: String?
    @Option(name: .customLong("apns-key-file"), help: "APNs token-auth key, a .p8 file (env PARLEY_APNS_KEY_FILE).") var apnsKeyFile: String?
    @Option(name: .customLong("apns-key-id"), help: "The APNs key's id (env PARLEY_APNS_KEY_ID).") var apnsKeyId: String?
    @Option(name: .customLong("apns-team-id"), help: "The Apple developer team id (env PARLEY_APNS_TEAM_ID).") var apnsTeamId: String?
    @Option(name: .customLong("apns-topic"), help: "The app's bundle id (env PARLEY_APNS_TOPIC).") var apnsTopic: String?
    @Option(name: .customLong("apns-url"), help: "APNs endpoint (env PARLEY_APNS_URL, default https://api.push.apple.com).") var apnsURL: String?
    @Option(name: .customLong("apns-sandbox-url"), help: "APNs endpoint for sandbox tokens (env PARLEY_APNS_SANDBOX_URL, default https://api.sandbox.push.apple.com).") var apnsSandboxURL: String?
    @Option(name: .customLong("fcm-credentials-file"), help: "FCM service-account JSON (env PARLEY_FCM_CREDENTIALS_FILE).") var fcmCredentialsFile: String?
    @Option(name: .customLong("fcm-url"), help: "FCM endpoint (env PARLEY_FCM_URL, default https://fcm.googleapis.com).") var fcmURL: String?
    @Option(name: .customLong("hms-client-id"), help: "Huawei Push Kit app id (env PARLEY_HMS_CLIENT_ID).") var hmsClientId: String?
    @Option(name: .customLong("hms-client-secret"), help: "Huawei Push Kit app secret (env PARLEY_HMS_CLIENT_SECRET).") var hmsClientSecret: String?
    @Option(name: .customLong("hms-token-url"), help: "Huawei OAuth endpoint (env PARLEY_HMS_TOKEN_URL).") var hmsTokenURL: String?
    @Option(name: .customLong("hms-url"), help: "Huawei Push Kit endpoint (env PARLEY_HMS_URL, default https://push-api.cloud.huawei.com).") var hmsURL: String?
    @Option(name: .customLong("mipush-app-secret"), help: "Xiaomi MiPush app secret (env PARLEY_MIPUSH_APP_SECRET).") var mipushAppSecret: String?
    @Option(name: .customLong("mipush-package"), help: "The Android app's package name (env PARLEY_MIPUSH_PACKAGE).") var mipushPackage: String?
    @Option(name: .customLong("mipush-url"), help: "MiPush endpoint (env PARLEY_MIPUSH_URL, default https://api.xmpush.xiaomi.com).") var mipushURL: String?
    @Option(name: .customLong("push-webhook-url"), help: "Your own push gateway: a signed JSON POST per push (env PARLEY_PUSH_WEBHOOK_URL).") var pushWebhookURL: String?
    @Option(name: .customLong("push-webhook-secret"), help: "Signs push webhook posts with Parley-Signature (env PARLEY_PUSH_WEBHOOK_SECRET).") var pushWebhookSecret: String?
    @Option(name: .customLong("smtp-url"), help: "E-mail pushes: smtp://host:port (STARTTLS when offered) or smtps://host:port (env PARLEY_SMTP_URL).") var smtpURL: String?
    @Option(name: .customLong("smtp-from"), help: "The From address of e-mail pushes (env PARLEY_SMTP_FROM).") var smtpFrom: String?
    @Option(name: .customLong("smtp-username"), help: "SMTP user, sent only over TLS (env PARLEY_SMTP_USERNAME).") var smtpUsername: String?
    @Option(name: .customLong("smtp-password"), help: "SMTP password (env PARLEY_SMTP_PASSWORD).") var smtpPassword: String?
    @Option(name: .customLong("email-push-delay"), help: "Seconds: at most one e-mail per conversation this often, 1…86400 (env PARLEY_EMAIL_PUSH_DELAY, default 600).") var emailPushDelay: Int?
    @Option(name: .customLong("push-ca-file"), help: "Extra trusted CA certificates (PEM) for push endpoints (env PARLEY_PUSH_CA_FILE).") var pushCAFile: String?
    @Option(name: .customLong("push-attempts"), help: "Provider calls per push before it fails, 1…10, at most --task-attempts (env PARLEY_PUSH_ATTEMPTS, default 3).") var pushAttempts: Int?
    @Option(name: .customLong("push-backoff-ms"), help: "Wait after a failed push call, x4 each time, with jitter, 10…600000 (env PARLEY_PUSH_BACKOFF_MS, default 1000).") var pushBackoffMs: Int?
    @Option(name: .customLong("push-timeout-ms"), help: "How long one provider call may take, 100…60000 (env PARLEY_PUSH_TIMEOUT_MS, default 10000).") var pushTimeoutMs: Int?
    @Option(name: .customLong("push-log-days"), help: "Days push log entries are kept, 1…365 (env PARLEY_PUSH_LOG_DAYS, default 30).") var pushLogDays: Int?
    @Option(name: .customLong("task-attempts"), help: "Runs of a background task before it is dead-lettered, 1…20 (env PARLEY_TASK_ATTEMPTS, default 5).") var taskAttempts: Int?
    @Option(name: .customLong("task-backoff-ms"), help: "Wait before a failed task runs again, x4 each time, 10…600000 (env PARLEY_TASK_BACKOFF_MS, default 1000).") var taskBackoffMs: Int?
    @Option(name: .customLong("admin-token"), help: "Credential of the admin API; off without it (env PARLEY_ADMIN_TOKEN).") var adminToken: String?
    @Option(name: .customLong("config"), help: "A JSON configuration file whose keys are these options' long names (env PARLEY_CONFIG).") var configFile: String?
    @Option(name: .customLong("max-image-bytes"), help: "Largest image a message may declare (env PARLEY_MAX_IMAGE_BYTES, default 20 MiB).") var maxImageBytes: Int64?
    @Option(name: .customLong("max-video-bytes"), help: "Largest video (env PARLEY_MAX_VIDEO_BYTES, default 500 MiB).") var maxVideoBytes: Int64?
    @Option(name: .customLong("max-audio-bytes"), help: "Largest audio (env PARLEY_MAX_AUDIO_BYTES, default 50 MiB).") var maxAudioBytes: Int64?
    @Option(name: .customLong("max-file-bytes"), help: "Largest file (env PARLEY_MAX_FILE_BYTES, default 2 GiB).") var maxFileBytes: Int64?
    @Option(name: .customLong("media-dir"), help: "Where uploads are kept (env PARLEY_MEDIA_DIR, default <data-dir>/media).") var mediaDir: String?
    @Option(name: .customLong("media-max-image"), help: "Largest image upload: bytes or 64KiB, 10MiB, 1GiB (env PARLEY_MEDIA_MAX_IMAGE, default 10MiB).") var mediaMaxImage: String?
    @Option(name: .customLong("media-max-video"), help: "Largest video upload (env PARLEY_MEDIA_MAX_VIDEO, default 100MiB).") var mediaMaxVideo: String?
    @Option(name: .customLong("media-max-audio"), help: "Largest audio upload (env PARLEY_MEDIA_MAX_AUDIO, default 20MiB).") var mediaMaxAudio: String?
    @Option(name: .customLong("media-max-file"), help: "Largest file upload (env PARLEY_MEDIA_MAX_FILE, default 100MiB).") var mediaMaxFile: String?
    @Option(name: .customLong("media-quota"), help: "Most bytes one user's uploads hold (env PARLEY_MEDIA_QUOTA, default 1GiB).") var mediaQuota: String?
    @Option(name: .customLong("media-max-pixels"), help: "Largest image decoded, in pixels (env PARLEY_MEDIA_MAX_PIXELS, default 50000000).") var mediaMaxPixels: Int64?
    @Option(name: .customLong("media-upload-expiry"), help: "How long an unfinished resumable upload is kept: 3600, 90m, 24h, 7d (env PARLEY_MEDIA_UPLOAD_EXPIRY, default 24h).") var mediaUploadExpiry: String?
    @Option(name: .customLong("s3-endpoint"), help: "Keep media in an S3-compatible bucket: http(s)://host:port (env PARLEY_S3_ENDPOINT).") var s3Endpoint: String?
    @Option(name: .customLong("s3-bucket"), help: "The bucket (env PARLEY_S3_BUCKET); created when missing.") var s3Bucket: String?
    @Option(name: .customLong("s3-region"), help: "The bucket's region (env PARLEY_S3_REGION, default us-east-1).") var s3Region: String?
    @Option(name: .customLong("s3-access-key"), help: "S3 access key id (env PARLEY_S3_ACCESS_KEY).") var s3AccessKey: String?
    @Option(name: .customLong("s3-secret-key"), help: "S3 secret key (env PARLEY_S3_SECRET_KEY).") var s3SecretKey: String?
    @Option(name: .customLong("web-client"), help: "true: serve the browser client at / ; false: an API-only node (env PARLEY_WEB_CLIENT, default true).") var webClient: Bool?
    @Option(name: .customLong("web-dir"), help: "For work on the browser client: serve it from this folder, re-read on every request, instead of the built-in copy (env PARLEY_WEB_DIR).") var webDir: String?
    @Option(name: .customLong("max-group-size"), help: "Most members of a group (env PARLEY_MAX_GROUP_SIZE, default 10000).") var maxGroupSize: Int?
    @Flag(name: .customLong("friends-only"), help: "Only friends may message each other privately, for every user (env PARLEY_FRIENDS_ONLY=true).") var friendsOnly = false
    @Option(name: .customLong("database-url"), help: "PostgreSQL instead of the embedded store: postgres://user:password@host:port/database (env PARLEY_DATABASE_URL).") var databaseURL: String?
    @Option(name: .customLong("nats-url"), help: "Join a cluster through NATS: nats://host:port (env PARLEY_NATS_URL); needs --database-url.") var natsURL: String?
    @Option(name: .customLong("handshake-timeout"), help: "Seconds a new connection may take to send its first request, 1…300 (env PARLEY_HANDSHAKE_TIMEOUT, default 10).") var handshakeTimeout: Int?
    @Option(name: .customLong("presence-ttl"), help: "Cluster: seconds a dead node's sessions still show online, 3…300 (env PARLEY_PRESENCE_TTL, default 15).") var presenceTTL: Int?
    @Option(name: .customLong("database-pool-size"), help: "PostgreSQL connections for reads (env PARLEY_DATABASE_POOL_SIZE, default 8).") var databasePoolSize: Int?
    @Option(help: "Commit durability: full (fsync each commit) or normal (env PARLEY_DURABILITY).") var durability: String?
    @Option(name: .customLong("node-id"), help: "Node id 0…1023, unique in a cluster (env PARLEY_NODE_ID).") var nodeId: Int?
    @Option(name: .customLong("log-format"), help: "text or json (one object per line) (env PARLEY_LOG_FORMAT).") var logFormat: String?
    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (env PARLEY_LOG_LEVEL).") var logLevel: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let file = try ConfigurationFile.load(configFile ?? environment["PARLEY_CONFIG"])
        // Precedence: flag, then environment, then the configuration file, then the default.
        func setting<T: LosslessStringConvertible>(_ flag: T?, _ name: String) throws -> T? {
            if let flag { return flag }
            if let text = environment["PARLEY_" + name] {
                guard let value = T(text) else { throw ValidationError("PARLEY_\(name)='\(text)' is not valid") }
                return value
            }
            return try file.value(for: name)
        }
        var config = ServerConfiguration()
        if let v = try setting(host, "HOST") { config.host = v }
        if let v = try setting(port, "PORT") { config.port = v }
        if let v = try setting(dataDir, "DATA_DIR") { config.dataDirectory = v }
        config.jwtSecret = try setting(jwtSecret, "JWT_SECRET")
        if let v = try setting(accessTokenTTL, "ACCESS_TOKEN_TTL") { config.tokens.accessSeconds = v }
        if let v = try setting(refreshTokenTTL, "REFRESH_TOKEN_TTL") { config.tokens.refreshSeconds = v }
        if let v = try setting(bcryptCost, "BCRYPT_COST") { config.bcryptCost = v }
        if let v = try setting(heartbeatInterval, "HEARTBEAT_INTERVAL") { config.heartbeatInterval = v }
        if let v = try setting(idleTimeout, "IDLE_TIMEOUT") { config.idleTimeout = v }
        if let v = try setting(maxFrameBytes, "MAX_FRAME_BYTES") { config.maxFrameBytes = v }
        if let v = try setting(maxTextLength, "MAX_TEXT_LENGTH") { config.limits.maxTextLength = v }
        if let v = try setting(outboundQueue, "OUTBOUND_QUEUE") { config.outboundQueueFrames = v }
        if let v = try setting(outboundQueueBytes, "OUTBOUND_QUEUE_BYTES") { config.outboundQueueBytes = v }
        if let v = try setting(readRate, "READ_RATE") { config.readRate = v }
        if let v = try setting(readBurst, "READ_BURST") { config.readBurst = v }
        if let v = try setting(registerRate, "REGISTER_RATE") { config.registerRate = v }
        if let v = try setting(registerBurst, "REGISTER_BURST") { config.registerBurst = v }
        if let v = try setting(refreshRate, "REFRESH_RATE") { config.refreshRate = v }
        if let v = try setting(refreshBurst, "REFRESH_BURST") { config.refreshBurst = v }
        if let v = try setting(maxForwardBytes, "MAX_FORWARD_BYTES") { config.limits.maxForwardBytes = v }
        if let v = try setting(trustedProxies, "TRUSTED_PROXIES") {
            config.trustedProxies = v.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if let bad = config.trustedProxies.first(where: { !ClientAddress.isValid($0) }) {
                throw ValidationError("--trusted-proxies: '\(bad)' is not an IP address")
            }
        }
        if let v = try setting(messageRate, "MESSAGE_RATE") { config.messageRate = v }
        if let v = try setting(messageBurst, "MESSAGE_BURST") { config.messageBurst = v }
        if let v = try setting(typingRate, "TYPING_RATE") { config.typingRate = v }
        if let v = try setting(recallWindow, "RECALL_WINDOW") {
            config.limits.recallWindowMs = Int64(try seconds(v, "recall-window", 0...ServerConfiguration.maxDurationSeconds)) * 1000
        }
        if let v = try setting(editWindow, "EDIT_WINDOW") {
            config.limits.editWindowMs = Int64(try seconds(v, "edit-window", 0...ServerConfiguration.maxDurationSeconds)) * 1000
        }
        if let v = try setting(userMessageRate, "USER_MESSAGE_RATE") { config.userMessageRate = v }
        if let v = try setting(userMessageBurst, "USER_MESSAGE_BURST") { config.userMessageBurst = v }
        if let v = try setting(receiptRate, "RECEIPT_RATE") {
            config.receiptRate = v
            config.receiptBurst = v * 10
        }
        if let v = try setting(loginAttempts, "LOGIN_ATTEMPTS") {
            config.loginLimits.perAccount = v
            config.loginLimits.perAddress = v * 4
        }
        config.filterRules = try setting(filterRules, "FILTER_RULES")
        config.adminToken = try setting(adminToken, "ADMIN_TOKEN")
        config.webhookURL = try setting(webhookURL, "WEBHOOK_URL")
        if let v = try setting(webhookTimeoutMs, "WEBHOOK_TIMEOUT_MS") { config.webhookTimeoutMs = v }
        if let v = try setting(webhookFailOpen, "WEBHOOK_FAIL_OPEN") { config.webhookFailOpen = v }
        config.eventWebhookURL = try setting(eventWebhookURL, "EVENT_WEBHOOK_URL")
        if let v = try setting(eventWebhookTimeoutMs, "EVENT_WEBHOOK_TIMEOUT_MS") { config.eventWebhookTimeoutMs = v }
        config.eventWebhookSecret = try setting(eventWebhookSecret, "EVENT_WEBHOOK_SECRET")
        config.push.apnsKeyFile = try setting(apnsKeyFile, "APNS_KEY_FILE")
        config.push.apnsKeyId = try setting(apnsKeyId, "APNS_KEY_ID")
        config.push.apnsTeamId = try setting(apnsTeamId, "APNS_TEAM_ID")
        config.push.apnsTopic = try setting(apnsTopic, "APNS_TOPIC")
        if let v = try setting(apnsURL, "APNS_URL") { config.push.apnsURL = v }
        if let v = try setting(apnsSandboxURL, "APNS_SANDBOX_URL") { config.push.apnsSandboxURL = v }
        config.push.fcmCredentialsFile = try setting(fcmCredentialsFile, "FCM_CREDENTIALS_FILE")
        if let v = try setting(fcmURL, "FCM_URL") { config.push.fcmURL = v }
        config.push.hmsClientId = try setting(hmsClientId, "HMS_CLIENT_ID")
        config.push.hmsClientSecret = try setting(hmsClientSecret, "HMS_CLIENT_SECRET")
        if let v = try setting(hmsTokenURL, "HMS_TOKEN_URL") { config.push.hmsTokenURL = v }
        if let v = try setting(hmsURL, "HMS_URL") { config.push.hmsURL = v }
        config.push.mipushAppSecret = try setting(mipushAppSecret, "MIPUSH_APP_SECRET")
        config.push.mipushPackage = try setting(mipushPackage, "MIPUSH_PACKAGE")
        if let v = try setting(mipushURL, "MIPUSH_URL") { config.push.mipushURL = v }
        config.push.webhookURL = try setting(pushWebhookURL, "PUSH_WEBHOOK_URL")
        config.push.webhookSecret = try setting(pushWebhookSecret, "PUSH_WEBHOOK_SECRET")
        config.push.smtpURL = try setting(smtpURL, "SMTP_URL")
        config.push.smtpFrom = try setting(smtpFrom, "SMTP_FROM")
        config.push.smtpUsername = try setting(smtpUsername, "SMTP_USERNAME")
        config.push.smtpPassword = try setting(smtpPassword, "SMTP_PASSWORD")
        if let v = try setting(emailPushDelay, "EMAIL_PUSH_DELAY") { config.push.emailDelaySeconds = try seconds(v, "email-push-delay", 1...86_400) }
        config.push.caFile = try setting(pushCAFile, "PUSH_CA_FILE")
        if let v = try setting(pushAttempts, "PUSH_ATTEMPTS") { config.push.attempts = v }
        if let v = try setting(pushBackoffMs, "PUSH_BACKOFF_MS") { config.push.backoffMs = v }
        if let v = try setting(pushTimeoutMs, "PUSH_TIMEOUT_MS") { config.push.timeoutMs = v }
        if let v = try setting(pushLogDays, "PUSH_LOG_DAYS") { config.push.logDays = v }
        if let v = try setting(taskAttempts, "TASK_ATTEMPTS") { config.taskAttempts = v }
        if let v = try setting(taskBackoffMs, "TASK_BACKOFF_MS") { config.taskBackoffMs = v }
        for (kind, flag, name) in [("image", maxImageBytes, "MAX_IMAGE_BYTES"), ("video", maxVideoBytes, "MAX_VIDEO_BYTES"),
                                   ("audio", maxAudioBytes, "MAX_AUDIO_BYTES"), ("file", maxFileBytes, "MAX_FILE_BYTES")] {
            if let v = try setting(flag, name) { config.limits.mediaRules[kind]?.maxBytes = v }
        }
        config.media.directory = try setting(mediaDir, "MEDIA_DIR")
        for (kind, flag, name) in [(MediaKind.image, mediaMaxImage, "MEDIA_MAX_IMAGE"), (.video, mediaMaxVideo, "MEDIA_MAX_VIDEO"),
                                   (.audio, mediaMaxAudio, "MEDIA_MAX_AUDIO"), (.file, mediaMaxFile, "MEDIA_MAX_FILE")] {
            if let v = try setting(flag, name) { config.media.limits.maxBytes[kind] = try byteSize(v, name) }
        }
        if let v = try setting(mediaQuota, "MEDIA_QUOTA") { config.media.limits.quota = try byteSize(v, "MEDIA_QUOTA") }
        if let v = try setting(mediaMaxPixels, "MEDIA_MAX_PIXELS") {
            guard (1...1_000_000_000).contains(v) else { throw ValidationError("--media-max-pixels must be 1…1000000000") }
            config.media.limits.maxPixels = v
        }
        if let v = try setting(mediaUploadExpiry, "MEDIA_UPLOAD_EXPIRY") {
            guard let duration = Self.duration(v), (60...Int64(ServerConfiguration.maxDurationSeconds)).contains(duration) else {
                throw ValidationError("--media-upload-expiry must be 60 s to a year: 3600, 90m, 24h, 7d")
            }
            config.media.limits.uploadExpirySeconds = duration
        }
        config.media.s3Endpoint = try setting(s3Endpoint, "S3_ENDPOINT")
        config.media.s3Bucket = try setting(s3Bucket, "S3_BUCKET")
        if let v = try setting(s3Region, "S3_REGION") { config.media.s3Region = v }
        config.media.s3AccessKey = try setting(s3AccessKey, "S3_ACCESS_KEY")
        config.media.s3SecretKey = try setting(s3SecretKey, "S3_SECRET_KEY")
        if let v = try setting(webClient, "WEB_CLIENT") { config.web.enabled = v }
        config.web.directory = try setting(webDir, "WEB_DIR")
        if let v = try setting(maxGroupSize, "MAX_GROUP_SIZE") { config.limits.maxGroupSize = v }
        if let v = try setting(friendsOnly ? true : nil, "FRIENDS_ONLY") { config.limits.friendsOnly = v }
        config.databaseURL = try setting(databaseURL, "DATABASE_URL")
        config.natsURL = try setting(natsURL, "NATS_URL")
        if let v = try setting(presenceTTL, "PRESENCE_TTL") { config.presenceTTLSeconds = v }
        if let v = try setting(handshakeTimeout, "HANDSHAKE_TIMEOUT") { config.handshakeTimeout = v }
        if let v = try setting(databasePoolSize, "DATABASE_POOL_SIZE") { config.databasePoolSize = v }
        if let v = try setting(durability, "DURABILITY") { config.durability = v }
        if let v = try setting(nodeId, "NODE_ID") { config.nodeId = v }
        if let v = try setting(logLevel, "LOG_LEVEL") {
            guard let level = Logger.Level(rawValue: v) else { throw ValidationError("unknown log level '\(v)'") }
            config.logLevel = level
        }
        try validate(config)

        let level = config.logLevel
        let format = try setting(logFormat, "LOG_FORMAT") ?? "text"
        guard ["text", "json"].contains(format) else { throw ValidationError("log format is text or json") }
        LoggingSystem.bootstrap { label in
            if format == "json" { return JSONLogHandler(label: label, logLevel: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "parley")
        let host = config.host
        let web = config.web.enabled
        try await ParleyNode(configuration: config, logger: logger).run { port in
            // Scripts and tests read this line to learn the port (useful with --port 0).
            FileHandle.standardOutput.write(Data("parley listening on http://\(host):\(port)\n".utf8))
            if web {
                FileHandle.standardOutput.write(Data("open http://\(Self.browserHost(host)):\(port)/ in a browser to chat\n".utf8))
            }
        }
    }

    /// The host a browser on this machine reaches a node listening on `host` by.
    static func browserHost(_ host: String) -> String {
        switch host {
        case "0.0.0.0", "": "127.0.0.1"
        case "::": "[::1]"
        default: host.contains(":") ? "[\(host)]" : host
        }
    }

    /// A byte size flag (`65536`, `64KiB`, `10MiB`, `1GiB`).
    private func byteSize(_ text: String, _ name: String) throws -> Int64 {
        guard let value = MediaLimits.byteSize(text) else {
            throw ValidationError("--\(name.lowercased().replacingOccurrences(of: "_", with: "-")) must be a size: 65536, 64KiB, 10MiB, 1GiB (got '\(text)')")
        }
        return value
    }

    /// Seconds from `3600`, `3600s`, `90m`, `24h` or `7d`.
    static func duration(_ text: String) -> Int64? {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        var digits = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        var unit: Int64 = 1
        if let last = digits.last, let scale = units[last] {
            unit = scale
            digits = digits.dropLast()
        }
        guard let number = Int64(digits), number > 0, number <= Int64(ServerConfiguration.maxDurationSeconds) else { return nil }
        return number * unit
    }

    /// A duration flag's value, if it is in range; every later product of it then fits.
    private func seconds(_ value: Int, _ flag: String, _ range: ClosedRange<Int>) throws -> Int {
        guard range.contains(value) else {
            throw ValidationError("--\(flag) must be \(range.lowerBound)…\(range.upperBound) seconds (got \(value))")
        }
        return value
    }

    private func validate(_ config: ServerConfiguration) throws {
        guard (0...65535).contains(config.port) else { throw ValidationError("port must be 0…65535") }
        guard (4...31).contains(config.bcryptCost) else { throw ValidationError("bcrypt cost must be 4…31") }
        _ = try seconds(config.tokens.accessSeconds, "access-token-ttl", 60...ServerConfiguration.maxDurationSeconds)
        _ = try seconds(config.tokens.refreshSeconds, "refresh-token-ttl", 300...ServerConfiguration.maxDurationSeconds)
        guard config.tokens.refreshSeconds >= config.tokens.accessSeconds else {
            throw ValidationError("--refresh-token-ttl must be at least --access-token-ttl")
        }
        _ = try seconds(config.heartbeatInterval, "heartbeat-interval", 1...3_600)
        _ = try seconds(config.idleTimeout, "idle-timeout", 1...86_400)
        guard config.outboundQueueBytes >= 65_536 else { throw ValidationError("--outbound-queue-bytes must be at least 65536") }
        guard config.readBurst >= 1, config.registerBurst >= 1, config.refreshBurst >= 1 else {
            throw ValidationError("read, register and refresh bursts must be at least 1")
        }
        for (rate, flag) in [(config.messageRate, "message-rate"), (config.typingRate, "typing-rate"),
                             (config.userMessageRate, "user-message-rate"), (config.receiptRate, "receipt-rate"),
                             (config.readRate, "read-rate"), (config.registerRate, "register-rate"), (config.refreshRate, "refresh-rate")]
        where !(0.001...1e9).contains(rate) {
            throw ValidationError("--\(flag) must be 0.001…1000000000 per second (got \(rate))")
        }
        guard (1_024...1_048_576).contains(config.limits.maxForwardBytes) else {
            throw ValidationError("--max-forward-bytes must be 1024…1048576")
        }
        guard config.maxFrameBytes >= 1024 else { throw ValidationError("max frame bytes must be at least 1024") }
        guard config.outboundQueueFrames >= 8 else { throw ValidationError("outbound queue must hold at least 8 frames") }
        guard config.messageRate > 0, config.messageBurst >= 1, config.typingRate > 0 else { throw ValidationError("rates must be positive") }
        guard config.userMessageRate > 0, config.userMessageBurst >= 1, config.receiptRate > 0, config.loginLimits.perAccount >= 1
        else { throw ValidationError("rates and login attempts must be positive") }
        guard (10...60_000).contains(config.webhookTimeoutMs) else { throw ValidationError("webhook timeout must be 10…60000 ms") }
        guard (10...60_000).contains(config.eventWebhookTimeoutMs) else { throw ValidationError("event webhook timeout must be 10…60000 ms") }
        guard (1...20).contains(config.taskAttempts) else { throw ValidationError("task attempts must be 1…20") }
        guard (10...600_000).contains(config.taskBackoffMs) else { throw ValidationError("task backoff must be 10…600000 ms") }
        let push = config.push
        guard (1...10).contains(push.attempts), push.attempts <= config.taskAttempts else {
            throw ValidationError("--push-attempts must be 1…10 and at most --task-attempts (\(config.taskAttempts))")
        }
        guard (10...600_000).contains(push.backoffMs) else { throw ValidationError("--push-backoff-ms must be 10…600000") }
        guard (100...60_000).contains(push.timeoutMs) else { throw ValidationError("--push-timeout-ms must be 100…60000") }
        guard (1...365).contains(push.logDays) else { throw ValidationError("--push-log-days must be 1…365") }
        let apns = [push.apnsKeyFile, push.apnsKeyId, push.apnsTeamId, push.apnsTopic]
        if apns.contains(where: { $0 != nil }), apns.contains(where: { $0 == nil }) {
            throw ValidationError("APNs needs all of --apns-key-file, --apns-key-id, --apns-team-id and --apns-topic")
        }
        if (push.hmsClientId == nil) != (push.hmsClientSecret == nil) {
            throw ValidationError("HMS needs both --hms-client-id and --hms-client-secret")
        }
        if (push.mipushAppSecret == nil) != (push.mipushPackage == nil) {
            throw ValidationError("MiPush needs both --mipush-app-secret and --mipush-package")
        }
        if (push.smtpURL == nil) != (push.smtpFrom == nil) { throw ValidationError("e-mail pushes need both --smtp-url and --smtp-from") }
        if let token = config.adminToken, token.utf8.count < 16 { throw ValidationError("the admin token must be at least 16 characters") }
        guard config.limits.maxGroupSize >= 2 else { throw ValidationError("max group size must be at least 2") }
        if config.natsURL != nil, config.databaseURL == nil {
            throw ValidationError("a cluster (--nats-url) needs a shared database (--database-url)")
        }
        guard (1...300).contains(config.handshakeTimeout) else { throw ValidationError("handshake timeout must be 1…300 seconds") }
        guard (3...300).contains(config.presenceTTLSeconds) else { throw ValidationError("presence TTL must be 3…300 seconds") }
        guard (1...256).contains(config.databasePoolSize) else { throw ValidationError("database pool size must be 1…256") }
        guard ["full", "normal"].contains(config.durability) else { throw ValidationError("durability is full or normal") }
        guard (0..<1024).contains(config.nodeId) else { throw ValidationError("node id must be 0…1023") }
    }
}
