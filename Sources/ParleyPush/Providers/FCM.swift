import Foundation
import ParleyCore
import ParleyProtocol
import ParleyStore
import _CryptoExtras

/// Firebase Cloud Messaging, HTTP v1: an OAuth2 access token from the service account's
/// `token_uri` (the JWT-bearer grant, an RS256 assertion), then one call per token.
public final class FCMProvider: PushProvider {
    /// The service-account JSON file's fields Parley uses.
    public struct ServiceAccount: Sendable, Decodable {
        public var project_id: String
        public var client_email: String
        public var private_key: String
        public var private_key_id: String?
        public var token_uri: String
    }

    let account: ServiceAccount
    let url: String
    let http: PushHTTP
    private let key: _RSA.Signing.PrivateKey
    private let tokens = AccessTokenCache()
    static let scope = "https://www.googleapis.com/auth/firebase.messaging"

    /// - Parameter credentials: the service-account JSON's bytes.
    public init(credentials: Data, url: String, http: PushHTTP) throws {
        do {
            account = try JSONDecoder().decode(ServiceAccount.self, from: credentials)
        } catch {
            throw PushConfigurationError("the FCM credentials file is not a service-account JSON (project_id, client_email, private_key, token_uri)")
        }
        do {
            key = try _RSA.Signing.PrivateKey(pemRepresentation: account.private_key)
        } catch {
            throw PushConfigurationError("the FCM credentials' private_key is not an RSA private key in PEM")
        }
        self.url = url
        self.http = http
    }

    /// A fresh access token from the token endpoint.
    func fetchAccessToken() async throws -> (token: String, expiresIn: Int) {
        let now = Int(Date().timeIntervalSince1970)
        var header: [String: Any] = [:]
        if let kid = account.private_key_id { header["kid"] = kid }
        let assertion = try JSONWebToken.rs256(
            header: header,
            claims: ["iss": account.client_email, "scope": Self.scope, "aud": account.token_uri, "iat": now, "exp": now + 3600], key: key)
        let answer = try await http.post(
            account.token_uri, headers: [("content-type", "application/x-www-form-urlencoded")],
            body: PushHTTP.form([("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"), ("assertion", assertion)]))
        guard answer.status == 200, let token = answer.json?["access_token"]?.stringValue else {
            throw PushConfigurationError("the FCM token endpoint answered \(answer.status)")
        }
        return (token, answer.json?["expires_in"]?.integerValue ?? 3600)
    }

    struct Body: Encodable {
        struct Message: Encodable {
            struct Notification: Encodable {
                var title: String
                var body: String
            }
            struct Android: Encodable {
                struct AndroidNotification: Encodable {
                    var tag: String
                    var notification_count: Int
                    var notification_priority: String
                    var default_sound: Bool?
                }
                var collapse_key: String
                var priority = "HIGH"
                var notification: AndroidNotification
            }
            var token: String
            var notification: Notification
            var data: [String: String]
            var android: Android
        }
        var message: Message
    }

    public func send(_ notification: PushNotification, to token: PushTokenRecord) async -> PushResult {
        let body = FrameCoder.encode(Body(message: .init(
            token: token.token, notification: .init(title: notification.title, body: notification.body),
            data: ["conversationId": notification.conversationId, "messageId": notification.messageId, "badge": String(notification.badge)],
            android: .init(
                collapse_key: notification.conversationId,
                notification: .init(
                    tag: notification.conversationId, notification_count: notification.badge,
                    notification_priority: notification.quiet ? "PRIORITY_MIN" : "PRIORITY_DEFAULT",
                    default_sound: notification.quiet ? nil : true)))))
        let endpoint = "\(url)/v1/projects/\(account.project_id)/messages:send"
        return await tokens.post(
            body, to: endpoint, with: http, fetch: { try await self.fetchAccessToken() }, refused: { $0.status == 401 }
        ) { answer in
            if answer.status == 200 { return .sent }
            let code = Self.errorCode(answer.json)
            if answer.status == 404 || answer.status == 400, let code, code == "UNREGISTERED" || (code == "INVALID_ARGUMENT" && Self.blamesToken(answer.json)) {
                return .deadToken(reason: code)
            }
            return answer.unexpected(code ?? answer.json?["error"]?["status"]?.stringValue ?? "HTTP \(answer.status)")
        }
    }

    /// Whether an `INVALID_ARGUMENT` is about the token (a `message.token` field violation), not
    /// about the message: only then is the token dead.
    static func blamesToken(_ json: JSONValue?) -> Bool {
        guard case .array(let details)? = json?["error"]?["details"] else { return false }
        return details.contains { detail in
            guard case .array(let violations)? = detail["fieldViolations"] else { return false }
            return violations.contains { $0["field"]?.stringValue == "message.token" }
        }
    }

    /// The FcmError's `errorCode` in `error.details`.
    static func errorCode(_ json: JSONValue?) -> String? {
        guard case .array(let details)? = json?["error"]?["details"] else { return nil }
        return details.lazy.compactMap { $0["errorCode"]?.stringValue }.first
    }
}
