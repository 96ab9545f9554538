import Crypto
import Foundation
import ParleyCore
import ParleyProtocol
import ParleyStore
import Synchronization

/// Apple Push Notification service: HTTP/2 with token authentication (an ES256 JWT from the
/// team's .p8 key, reused for 40 minutes: Apple refuses one renewed more often than every 20).
public final class APNsProvider: PushProvider {
    public struct Settings: Sendable {
        public var keyPEM: String
        public var keyId: String
        public var teamId: String
        /// The app's bundle id.
        public var topic: String
        public var url: String
        public var sandboxURL: String

        public init(keyPEM: String, keyId: String, teamId: String, topic: String, url: String, sandboxURL: String) {
            self.keyPEM = keyPEM
            self.keyId = keyId
            self.teamId = teamId
            self.topic = topic
            self.url = url
            self.sandboxURL = sandboxURL
        }
    }

    let settings: Settings
    let http: PushHTTP
    /// The key's raw bytes (the key type is not Sendable here; a token is made every 40 minutes).
    private let key: Data
    private let bearer = Mutex<(token: String, madeAt: ContinuousClock.Instant)?>(nil)

    public init(settings: Settings, http: PushHTTP) throws {
        do {
            key = try P256.Signing.PrivateKey(pemRepresentation: settings.keyPEM).rawRepresentation
        } catch {
            throw PushConfigurationError("the APNs key is not a P-256 private key in PEM (.p8)")
        }
        self.settings = settings
        self.http = http
    }

    /// The provider token, made anew after 40 minutes or when Apple said `refused` expired (once
    /// for all the calls that heard so at the same time: Apple refuses renewals more often
    /// than every 20 minutes).
    func providerToken(replacing refused: String? = nil) throws -> String {
        try bearer.withLock { bearer in
            if let bearer, bearer.token != refused, ContinuousClock.now - bearer.madeAt < .seconds(40 * 60) { return bearer.token }
            let token = try JSONWebToken.es256(
                header: ["kid": settings.keyId], claims: ["iss": settings.teamId, "iat": Int(Date().timeIntervalSince1970)],
                key: try P256.Signing.PrivateKey(rawRepresentation: key))
            bearer = (token, ContinuousClock.now)
            return token
        }
    }

    struct Body: Encodable {
        struct Alert: Encodable {
            var title: String
            var body: String
        }
        struct APS: Encodable {
            var alert: Alert
            var badge: Int
            var sound: String?
            var threadId: String
            var mutableContent = 1
            var interruptionLevel: String?

            enum CodingKeys: String, CodingKey {
                case alert, badge, sound
                case threadId = "thread-id"
                case mutableContent = "mutable-content"
                case interruptionLevel = "interruption-level"
            }
        }
        var aps: APS
        var conversationId: String
        var messageId: String
    }

    public func send(_ notification: PushNotification, to token: PushTokenRecord) async -> PushResult {
        let body = FrameCoder.encode(Body(
            aps: Body.APS(
                alert: .init(title: notification.title, body: notification.body), badge: notification.badge,
                sound: notification.quiet ? nil : "default", threadId: notification.conversationId,
                interruptionLevel: notification.quiet ? "passive" : nil),
            conversationId: notification.conversationId, messageId: notification.messageId))
        let url = (token.sandbox ? settings.sandboxURL : settings.url) + "/3/device/" + token.token
        var refused: String?
        while true {
            do {
                let jwt = try providerToken(replacing: refused)
                let headers = [
                    ("authorization", "bearer \(jwt)"), ("apns-topic", settings.topic),
                    ("apns-push-type", "alert"), ("apns-priority", notification.quiet ? "5" : "10"),
                    ("apns-expiration", String(Int(Date().timeIntervalSince1970) + 7 * 86_400)),
                    ("apns-collapse-id", Self.collapseId(notification.conversationId)), ("apns-id", Self.uuid(notification.pushId)),
                    ("content-type", "application/json"),
                ]
                let answer = try await http.post(url, headers: headers, body: body)
                if answer.status == 200 { return .sent }
                let reason = answer.json?["reason"]?.stringValue ?? "HTTP \(answer.status)"
                switch (answer.status, reason) {
                case (403, "ExpiredProviderToken") where refused == nil:
                    refused = jwt
                    continue
                case (410, _), (400, "BadDeviceToken"), (400, "DeviceTokenNotForTopic"):
                    return .deadToken(reason: reason)
                default:
                    return answer.unexpected(reason)
                }
            } catch {
                return .retry(reason: PushHTTP.reason(error), after: nil)
            }
        }
    }

    /// `apns-collapse-id` holds at most 64 bytes: a longer conversation id is hashed.
    static func collapseId(_ conversationId: String) -> String {
        conversationId.utf8.count <= 64 ? conversationId : SHA256.hash(data: Data(conversationId.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// A UUID derived from the push's id: the same on every retry of it.
    static func uuid(_ pushId: String) -> String {
        let bytes = Array(SHA256.hash(data: Data(pushId.utf8)).prefix(16))
        let hex = bytes.map { String(format: "%02X", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }
}
