import Foundation
import ParleyProtocol
import ParleyStore

/// Where a user's devices can be reached when they are offline, and how they want to be
/// (product F1–F3): the tokens devices register, and the user's push settings.
extension Chat {
    /// The providers a token can be for.
    public static let pushProviders: Set<String> = ["apns", "fcm", "hms", "mipush", "webhook", "email"]
    /// Tokens one user may hold: every token is a push per message, so their number is bounded.
    public static let maxPushTokensPerUser = 20

    /// Stores a device's token. The same token again updates it (no duplicate); a token another
    /// user had moves to the caller (a phone that changed hands). It ends with the login that
    /// registered it.
    public func registerPushToken(_ registration: PushTokenRegistration, for caller: Caller) async throws -> PushTokenRegistered {
        guard Self.pushProviders.contains(registration.provider) else {
            throw ChatError.badRequest("'provider' must be one of \(Self.pushProviders.sorted().joined(separator: ", "))")
        }
        var token = registration.token.trimmingCharacters(in: .whitespaces)
        // One address, one token, whatever its case (and one rate limit on what it receives).
        if registration.provider == "email" { token = token.lowercased() }
        try Self.requirePushToken(token, provider: registration.provider)
        try Self.requireDeviceId(registration.deviceId, maxLength: limits.maxClientIdLength)
        if registration.sandbox == true, registration.provider != "apns" {
            throw ChatError.badRequest("'sandbox' is for apns tokens only")
        }
        do {
            let stored = try await store.savePushToken(
                PushTokenRecord(
                    id: ids.next(), userId: caller.userId, provider: registration.provider, token: token,
                    deviceId: registration.deviceId, sandbox: registration.sandbox ?? false, loginId: caller.authSessionId,
                    createdAt: clock.now()),
                limit: Self.maxPushTokensPerUser)
            return PushTokenRegistered(tokenId: stored.id)
        } catch StoreError.full {
            throw ChatError(.conflict, "a user holds at most \(Self.maxPushTokensPerUser) push tokens; delete one first")
        }
    }

    /// An address as an SMTP envelope takes it, for tokens and `--smtp-from` alike: one `@`, a
    /// dot in the domain, printable ASCII without spaces, brackets or quotes, at most 254 bytes.
    public static func isEmailAddress(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && text.utf8.count <= 254
            && text.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F && !"<>()[],;:\\\"".unicodeScalars.contains($0) }
    }

    /// A token's shape per provider: device tokens are printable ASCII without spaces (APNs:
    /// hex), an e-mail address has one `@` and no spaces; none is longer than 4 KiB (254 bytes
    /// for an address).
    static func requirePushToken(_ token: String, provider: String) throws {
        let printable = token.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 0x20 && $0.value < 0x7F }
        switch provider {
        case "email":
            guard isEmailAddress(token) else {
                throw ChatError.badRequest("'token' must be an e-mail address for the email provider")
            }
        case "apns":
            guard (32...200).contains(token.utf8.count), token.unicodeScalars.allSatisfy({ $0.properties.isASCIIHexDigit }) else {
                throw ChatError.badRequest("'token' must be an APNs device token (hex digits)")
            }
        default:
            guard !token.isEmpty, token.utf8.count <= 4_096, printable else {
                throw ChatError.badRequest("'token' must be 1 to 4096 printable characters without spaces")
            }
        }
    }

    /// The caller's tokens, the tokens themselves masked.
    public func pushTokens(for caller: Caller) async throws -> PushTokenList {
        PushTokenList(tokens: try await store.pushTokens(userIds: [caller.userId]).map {
            PushTokenInfo(
                tokenId: $0.id, provider: $0.provider, deviceId: $0.deviceId, token: Self.masked($0.token), sandbox: $0.sandbox,
                createdAt: $0.createdAt)
        })
    }

    /// The first and last four characters: enough to tell tokens apart, not to use one.
    static func masked(_ token: String) -> String {
        token.count <= 8 ? String(repeating: "•", count: token.count) : "\(token.prefix(4))…\(token.suffix(4))"
    }

    public func deletePushToken(_ tokenId: String, for caller: Caller) async throws {
        try requireIdentifier(tokenId, named: "tokenId")
        guard try await store.deletePushToken(id: tokenId, userId: caller.userId) else {
            throw ChatError.notFound("push token not found")
        }
    }

    public func pushSettings(for caller: Caller) async throws -> PushSettings {
        Self.wire(try await store.pushSettings(userId: caller.userId))
    }

    public func updatePushSettings(_ update: PushSettingsUpdate, for caller: Caller) async throws -> PushSettings {
        var settings = try await store.pushSettings(userId: caller.userId)
        if let enabled = update.enabled { settings.enabled = enabled }
        if let preview = update.preview { settings.preview = preview }
        if let quiet = update.quietHours {
            settings.quietHours = try quiet.map { quiet in
                guard TimeZone(identifier: quiet.timeZone) != nil, quiet.timeZone.utf8.count <= 64 else {
                    throw ChatError.badRequest("'quietHours.timeZone' must be an IANA time zone such as Asia/Shanghai")
                }
                return PushSettingsRecord.QuietHours(
                    startMinute: try Self.minute(quiet.start, named: "quietHours.start"),
                    endMinute: try Self.minute(quiet.end, named: "quietHours.end"), timeZone: quiet.timeZone)
            }
        }
        try await store.savePushSettings(userId: caller.userId, settings)
        return Self.wire(settings)
    }

    /// `"HH:MM"` as minutes after midnight.
    static func minute(_ text: String, named name: String) throws -> Int {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ $0.count == 2 }), let hour = Int(parts[0]), let minute = Int(parts[1]),
            (0..<24).contains(hour), (0..<60).contains(minute)
        else {
            throw ChatError.badRequest("'\(name)' must be a time of day as HH:MM")
        }
        return hour * 60 + minute
    }

    static func wire(_ settings: PushSettingsRecord) -> PushSettings {
        func time(_ minute: Int) -> String { String(format: "%02d:%02d", minute / 60, minute % 60) }
        return PushSettings(
            enabled: settings.enabled, preview: settings.preview,
            quietHours: settings.quietHours.map {
                QuietHoursSetting(start: time($0.startMinute), end: time($0.endMinute), timeZone: $0.timeZone)
            })
    }
}

extension Chat {
    /// The caller's push log, newest first (`limit` 1…200).
    public func pushLog(for caller: Caller, limit: Int) async throws -> PushLog {
        try await pushLog(userId: caller.userId, limit: limit, showingUser: false)
    }

    /// Any user's push log, or everyone's (`userId` nil), for operators.
    public func pushLog(userId: String?, limit: Int, showingUser: Bool = true) async throws -> PushLog {
        guard (1...200).contains(limit) else { throw ChatError.badRequest("'limit' must be 1…200") }
        if let userId { try requireIdentifier(userId, named: "userId") }
        return PushLog(entries: try await store.pushLog(userId: userId, limit: limit).map {
            PushLogEntry(
                id: $0.id, messageId: $0.messageId, conversationId: $0.conversationId, provider: $0.provider, tokenId: $0.tokenId,
                status: $0.status.rawValue, reason: $0.reason, attempts: $0.attempts, createdAt: $0.createdAt, sentAt: $0.sentAt,
                userId: showingUser ? $0.userId : nil)
        })
    }
}
