import AsyncHTTPClient
import Foundation
import ParleyCore
import ParleyPush

/// The push providers the configuration turns on, sharing one HTTP client.
struct PushProviders {
    var providers: [String: any PushProvider] = [:]
    var email: (any EmailSender)?

    init(_ push: PushConfiguration, client: HTTPClient) throws {
        let http = PushHTTP(client: client, timeout: .milliseconds(push.timeoutMs))
        func url(_ text: String, _ flag: String) throws -> String {
            guard let parsed = URL(string: text), parsed.scheme == "https" || parsed.scheme == "http", let host = parsed.host else {
                throw ConfigurationError("--\(flag) must be an http(s) URL")
            }
            // Provider secrets and bearer tokens cross this connection: clear text only to this machine.
            if parsed.scheme == "http", !["127.0.0.1", "localhost", "::1", "[::1]"].contains(host) {
                throw ConfigurationError("--\(flag) must be https (http only for a loopback address)")
            }
            // Paths are appended to it.
            return text.hasSuffix("/") ? String(text.dropLast()) : text
        }
        if let keyFile = push.apnsKeyFile, let keyId = push.apnsKeyId, let teamId = push.apnsTeamId, let topic = push.apnsTopic {
            guard let pem = FileManager.default.contents(atPath: keyFile) else { throw ConfigurationError("cannot read --apns-key-file \(keyFile)") }
            providers["apns"] = try APNsProvider(
                settings: .init(
                    keyPEM: String(decoding: pem, as: UTF8.self), keyId: keyId, teamId: teamId, topic: topic,
                    url: try url(push.apnsURL, "apns-url"), sandboxURL: try url(push.apnsSandboxURL, "apns-sandbox-url")),
                http: http)
        }
        if let file = push.fcmCredentialsFile {
            guard let credentials = FileManager.default.contents(atPath: file) else {
                throw ConfigurationError("cannot read --fcm-credentials-file \(file)")
            }
            providers["fcm"] = try FCMProvider(credentials: credentials, url: try url(push.fcmURL, "fcm-url"), http: http)
        }
        if let id = push.hmsClientId, let secret = push.hmsClientSecret {
            providers["hms"] = HMSProvider(
                settings: .init(clientId: id, clientSecret: secret, tokenURL: try url(push.hmsTokenURL, "hms-token-url"), url: try url(push.hmsURL, "hms-url")),
                http: http)
        }
        if let secret = push.mipushAppSecret, let package = push.mipushPackage {
            providers["mipush"] = MiPushProvider(settings: .init(appSecret: secret, package: package, url: try url(push.mipushURL, "mipush-url")), http: http)
        }
        if let webhook = push.webhookURL {
            providers["webhook"] = PushWebhookProvider(url: try url(webhook, "push-webhook-url"), secret: push.webhookSecret, http: http)
        }
        if let smtp = push.smtpURL, let from = push.smtpFrom {
            email = try SMTPMailer(settings: .init(
                url: smtp, from: from, username: push.smtpUsername, password: push.smtpPassword, caFile: push.caFile,
                timeout: .milliseconds(max(push.timeoutMs, 30_000))))
        }
    }
}
