import Foundation
import ParleyCore
import ParleyProtocol
import ParleyStore

/// Huawei Push Kit: an OAuth access token by client credentials, then
/// `POST /v1/<app id>/messages:send`, whose answer carries a result code.
public final class HMSProvider: PushProvider {
    public struct Settings: Sendable {
        public var clientId: String
        public var clientSecret: String
        public var tokenURL: String
        public var url: String

        public init(clientId: String, clientSecret: String, tokenURL: String, url: String) {
            self.clientId = clientId
            self.clientSecret = clientSecret
            self.tokenURL = tokenURL
            self.url = url
        }
    }

    let settings: Settings
    let http: PushHTTP
    private let tokens = AccessTokenCache()

    /// Push Kit's result codes Parley acts on.
    static let success = "80000000"
    static let deadTokenCodes: Set<String> = ["80300007", "80100000"]
    static let expiredAccessToken = "80200003"

    public init(settings: Settings, http: PushHTTP) {
        self.settings = settings
        self.http = http
    }

    func fetchAccessToken() async throws -> (token: String, expiresIn: Int) {
        let answer = try await http.post(
            settings.tokenURL, headers: [("content-type", "application/x-www-form-urlencoded")],
            body: PushHTTP.form([("grant_type", "client_credentials"), ("client_id", settings.clientId), ("client_secret", settings.clientSecret)]))
        guard answer.status == 200, let token = answer.json?["access_token"]?.stringValue else {
            throw PushConfigurationError("the HMS token endpoint answered \(answer.status)")
        }
        return (token, answer.json?["expires_in"]?.integerValue ?? 3600)
    }

    struct Body: Encodable {
        struct Message: Encodable {
            struct Android: Encodable {
                struct ClickAction: Encodable { var type = 3 }
                struct Notification: Encodable {
                    var title: String
                    var body: String
                    var tag: String
                    var click_action = ClickAction()
                    var importance: String
                    var default_sound: Bool?
                }
                var collapse_key = -1
                var urgency = "HIGH"
                var notification: Notification
            }
            var token: [String]
            /// A JSON text: Push Kit's `data` is a string.
            var data: String
            var android: Android
        }
        var validate_only = false
        var message: Message
    }

    public func send(_ notification: PushNotification, to token: PushTokenRecord) async -> PushResult {
        let data = String(decoding: FrameCoder.encode([
            "conversationId": notification.conversationId, "messageId": notification.messageId, "badge": String(notification.badge),
        ]), as: UTF8.self)
        let body = FrameCoder.encode(Body(message: .init(
            token: [token.token], data: data,
            android: .init(notification: .init(
                title: notification.title, body: notification.body, tag: notification.conversationId,
                importance: notification.quiet ? "LOW" : "NORMAL", default_sound: notification.quiet ? nil : true)))))
        let endpoint = "\(settings.url)/v1/\(settings.clientId)/messages:send"
        return await tokens.post(
            body, to: endpoint, with: http, fetch: { try await self.fetchAccessToken() },
            refused: { $0.status == 401 || $0.json?["code"]?.stringValue == Self.expiredAccessToken }
        ) { answer in
            let code = answer.json?["code"]?.stringValue
            if answer.status == 200, code == Self.success { return .sent }
            if let code, Self.deadTokenCodes.contains(code) { return .deadToken(reason: code) }
            return answer.unexpected(code ?? "HTTP \(answer.status)")
        }
    }
}
