import Crypto
import Foundation
import ParleyCore
import ParleyProtocol
import ParleyStore

/// The operator's own push gateway: one signed JSON POST per push.
public final class PushWebhookProvider: PushProvider {
    let url: String
    let secret: String?
    let http: PushHTTP

    public init(url: String, secret: String?, http: PushHTTP) {
        self.url = url
        self.secret = secret
        self.http = http
    }

    struct Body: Encodable {
        var pushId: String
        var userId: String
        var deviceId: String
        var token: String
        var conversationId: String
        var messageId: String
        var title: String
        var body: String
        var badge: Int
        var quiet: Bool
        var timestamp: Int64
    }

    public func send(_ notification: PushNotification, to token: PushTokenRecord) async -> PushResult {
        let body = FrameCoder.encode(Body(
            pushId: notification.pushId, userId: notification.userId, deviceId: token.deviceId, token: token.token,
            conversationId: notification.conversationId, messageId: notification.messageId, title: notification.title,
            body: notification.body, badge: notification.badge, quiet: notification.quiet, timestamp: notification.timestamp))
        var headers = [
            ("content-type", "application/json"), ("parley-push-id", notification.pushId), ("parley-attempt", String(notification.attempt)),
        ]
        if let secret { headers.append(("parley-signature", WebhookSignature.header(secret: secret, body: body))) }
        do {
            let answer = try await http.post(url, headers: headers, body: body)
            if (200..<300).contains(answer.status) { return .sent }
            if answer.status == 404 || answer.status == 410 { return .deadToken(reason: "gone") }
            return answer.unexpected("HTTP \(answer.status)")
        } catch {
            return .retry(reason: PushHTTP.reason(error), after: nil)
        }
    }
}

/// `Parley-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`: a receiver that
/// knows the secret checks the body is Parley's, and refuses old `t` (a replay).
public enum WebhookSignature {
    public static func header(secret: String, body: [UInt8], at time: Int = Int(Date().timeIntervalSince1970)) -> String {
        var signed = Array("\(time).".utf8)
        signed += body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8)))
        return "t=\(time),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }
}
