import Foundation
import ParleyCore
import ParleyProtocol
import ParleyStore

/// Xiaomi MiPush: `POST /v3/message/regid` (a form) with `Authorization: key=<app secret>`.
public final class MiPushProvider: PushProvider {
    public struct Settings: Sendable {
        public var appSecret: String
        /// The app's package name (`restricted_package_name`).
        public var package: String
        public var url: String

        public init(appSecret: String, package: String, url: String) {
            self.appSecret = appSecret
            self.package = package
            self.url = url
        }
    }

    let settings: Settings
    let http: PushHTTP
    /// MiPush's codes for a registration id that is invalid or no longer registered.
    static let deadTokenCodes: Set<Int> = [20301, 21305]

    public init(settings: Settings, http: PushHTTP) {
        self.settings = settings
        self.http = http
    }

    public func send(_ notification: PushNotification, to token: PushTokenRecord) async -> PushResult {
        let payload = String(decoding: FrameCoder.encode([
            "conversationId": notification.conversationId, "messageId": notification.messageId, "badge": String(notification.badge),
        ]), as: UTF8.self)
        // One notification per conversation on the device: a new one replaces the last.
        let notifyId = Int(notification.conversationId.utf8.reduce(UInt32(5381)) { ($0 &* 33) &+ UInt32($1) } % 100_000)
        let form = PushHTTP.form([
            ("registration_id", token.token), ("restricted_package_name", settings.package), ("title", notification.title),
            ("description", notification.body), ("payload", payload), ("pass_through", "0"),
            ("notify_type", notification.quiet ? "0" : "-1"), ("notify_id", String(notifyId)), ("extra.notify_foreground", "1"),
        ])
        do {
            let answer = try await http.post(
                settings.url + "/v3/message/regid",
                headers: [("authorization", "key=\(settings.appSecret)"), ("content-type", "application/x-www-form-urlencoded")], body: form)
            let code = answer.json?["code"]?.integerValue
            if answer.status == 200, answer.json?["result"]?.stringValue == "ok", code == 0 { return .sent }
            if let code, Self.deadTokenCodes.contains(code) { return .deadToken(reason: "mipush \(code)") }
            return answer.unexpected(code.map { "mipush \($0)" } ?? "HTTP \(answer.status)")
        } catch {
            return .retry(reason: PushHTTP.reason(error), after: nil)
        }
    }
}
