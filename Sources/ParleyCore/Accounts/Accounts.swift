import Crypto
import Foundation
import ParleyBus
import ParleyProtocol
import ParleyStore

/// Registration, login, token refresh with rotation, logout, and checking credentials.
public struct Accounts: Sendable {
    public struct TokenLifetimes: Sendable, Equatable {
        public var accessSeconds: Int
        public var refreshSeconds: Int
        public init(accessSeconds: Int = 3600, refreshSeconds: Int = 30 * 86400) {
            self.accessSeconds = accessSeconds
            self.refreshSeconds = refreshSeconds
        }

        var refreshMilliseconds: Int64 { Int64(refreshSeconds) * 1000 }
    }

    let store: any Store
    let bus: any Bus
    let hasher: any PasswordHasher
    let signer: AccessTokenSigner
    let lifetimes: TokenLifetimes
    let clock: WallClock
    let ids: Snowflake
    let frames: Frames
    let throttle: LoginThrottle
    /// Registrations and token refreshes per client address.
    let registrations: KeyedRateLimit
    let refreshes: KeyedRateLimit
    let metrics: NodeMetrics
    /// A valid hash to verify against when the username is unknown, so a failed login
    /// takes as long whether or not the user exists.
    private let decoyHash: String?

    public init(
        store: any Store, bus: any Bus, hasher: any PasswordHasher, signer: AccessTokenSigner,
        lifetimes: TokenLifetimes = TokenLifetimes(), clock: WallClock = .system, ids: Snowflake, decoyHash: String? = nil,
        throttle: LoginThrottle = LoginThrottle(), metrics: NodeMetrics = NodeMetrics(),
        registrations: KeyedRateLimit = KeyedRateLimit("registrations from this address", rate: 5, burst: 100),
        refreshes: KeyedRateLimit = KeyedRateLimit("token refreshes from this address", rate: 1, burst: 30)
    ) {
        self.throttle = throttle
        self.registrations = registrations
        self.refreshes = refreshes
        self.metrics = metrics
        self.store = store
        self.bus = bus
        self.hasher = hasher
        self.signer = signer
        self.lifetimes = lifetimes
        self.clock = clock
        self.ids = ids
        self.frames = Frames(ids: ids, clock: clock)
        self.decoyHash = decoyHash
    }

    /// Registers a user. Each registration costs a bcrypt hash, so they are limited per
    /// client address (and the hasher refuses work beyond its queue: `unavailable`).
    public func register(_ request: RegisterRequest, from address: String? = nil) async throws -> TokenGrant {
        if let address { try registrations.admit(address, now: clock.now()) }
        let username = request.username.trimmingCharacters(in: .whitespaces)
        guard (2...64).contains(username.count),
            username.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || "_.-@+".unicodeScalars.contains($0) })
        else {
            throw ChatError.badRequest("'username' must be 2 to 64 characters of a-z, 0-9, '_', '.', '-', '@', '+'")
        }
        try Self.requireStrong(request.password, username: username)
        let displayName = try Self.displayName(request.displayName ?? username)
        let user = UserRecord(
            id: ids.next(), username: username, displayName: displayName, avatar: nil,
            passwordHash: try await hasher.hash(request.password), createdAt: clock.now())
        do {
            try await store.createUser(user)
        } catch StoreError.duplicate {
            throw ChatError(.conflict, "username '\(username)' is taken")
        }
        return try await openSession(for: user.id)
    }

    /// Logs in. Failed attempts are throttled per account and per client address.
    public func login(_ request: LoginRequest, from address: String? = nil) async throws -> TokenGrant {
        let username = request.username.trimmingCharacters(in: .whitespaces)
        let user = try await checkPassword(request.password, account: username, from: address) {
            try await store.user(username: username)
        }
        guard let user else { throw ChatError(.unauthorized, "wrong username or password") }
        if user.bannedAt != nil { throw ChatError.forbidden("this account is banned") }
        let grant = try await openSession(for: user.id)
        // bcrypt took a while: a deletion, ban or password change that committed meanwhile
        // revoked every login but this new one. Checked after the login is stored, so either
        // that change's revocation or this check sees it.
        guard let now = try await store.user(id: user.id), now.deletedAt == nil, now.bannedAt == nil,
            now.passwordHash == user.passwordHash
        else {
            try await store.revokeAuthSession(id: Self.loginId(of: grant), at: clock.now())
            throw ChatError(.unauthorized, "wrong username or password")
        }
        return grant
    }

    /// The login id a grant's refresh token begins with.
    static func loginId(of grant: TokenGrant) -> String {
        String(grant.refreshToken.prefix { $0 != "." })
    }

    /// Checks a password under the login throttle: the attempt is reserved before bcrypt runs
    /// (so concurrent guesses cannot all pass the check), counted as a failure unless it
    /// succeeds, and refused with `rate_limited` past the limit. Nil when the password is wrong
    /// or the account unknown (which take the same time).
    private func checkPassword(
        _ password: String, account: String, from address: String?, user find: () async throws -> UserRecord?
    ) async throws -> UserRecord? {
        // bcrypt reads 72 bytes: a longer password would match by its prefix, so none is valid.
        // Said before anything is counted or looked up (the same for every account, so it tells
        // nothing), and a user whose wave-1 password was longer learns what is wrong.
        guard password.utf8.count <= Self.maxPasswordBytes else {
            throw ChatError.badRequest("'password' is longer than \(Self.maxPasswordBytes) bytes (UTF-8)")
        }
        let now = clock.now()
        if let wait = throttle.reserve(account: account, address: address, now: now) {
            metrics.loginThrottled.add()
            throw ChatError(.rateLimited, "too many failed attempts; retry in \((wait + 999) / 1000) s", retryAfterMs: wait)
        }
        let user: UserRecord?
        let matches: Bool
        do {
            user = try await find()
            if let user, user.deletedAt == nil {
                matches = try await hasher.verify(password, against: user.passwordHash)
            } else {
                if let decoyHash { _ = try await hasher.verify(password, against: decoyHash) }
                matches = false
            }
        } catch {
            // Not checked (the store failed, or the hasher is busy): the attempt counts for nobody.
            throttle.release(account: account, address: address, reservedAt: now)
            throw error
        }
        if let user, matches {
            throttle.succeeded(account: account, address: address, reservedAt: now)
            return user
        }
        // A failure: it stays counted, here and on the other nodes, as it was reserved.
        metrics.loginFailures.add()
        return nil
    }

    /// Changes the caller's password. Every login of the user ends (their devices are kicked);
    /// the caller gets fresh tokens. A wrong current password counts as a failed login of the
    /// account, so a stolen access token cannot be used to guess it.
    public func changePassword(_ request: PasswordChange, for caller: Caller, from address: String? = nil) async throws -> TokenGrant {
        let user = try await confirmPassword(request.currentPassword, of: caller, from: address, field: "current password")
        try Self.requireStrong(request.newPassword, username: user.username)
        try await store.updatePasswordHash(userId: user.id, hash: try await hasher.hash(request.newPassword))
        try await endAllLogins(of: user.id, reason: "password_changed", message: "The password was changed.")
        return try await openSession(for: user.id)
    }

    /// Bans a user (their logins end, their devices are kicked, they cannot log in) or lifts it.
    public func setBanned(_ banned: Bool, userId: String) async throws {
        guard try await store.setBanned(userId: userId, at: banned ? clock.now() : nil) else {
            throw ChatError.notFound("user not found")
        }
        if banned { try await endAllLogins(of: userId, reason: "banned", message: "This account was banned.") }
    }

    /// Forces a user offline: every session is closed with `kicked` (the logins stay valid).
    public func forceOffline(userId: String) async throws {
        guard try await store.user(id: userId) != nil else { throw ChatError.notFound("user not found") }
        await bus.publish(.disconnect(Disconnect(
            userId: userId, finalFrame: frames.kicked(reason: "forced_offline", message: "An operator signed you out."),
            closeCode: CloseCodes.kicked, reason: "forced_offline")))
    }

    private func endAllLogins(of userId: String, reason: String, message: String) async throws {
        try await store.revokeAuthSessions(userId: userId, at: clock.now())
        try await store.deletePushTokens(userId: userId, loginId: nil)
        await bus.publish(.disconnect(Disconnect(
            userId: userId, finalFrame: frames.kicked(reason: reason, message: message), closeCode: CloseCodes.kicked, reason: reason)))
    }

    /// A display name as stored: trimmed, 1 to 64 scalars, no control or direction characters.
    static func displayName(_ text: String) throws -> String {
        try UserText.name(text, named: "displayName", max: 64)
    }

    /// The most bytes of a password bcrypt reads; longer ones are refused, not cut.
    public static let maxPasswordBytes = 72

    /// The password floor: 8 characters to 72 bytes (UTF-8), not the username, not one repeated
    /// character, not one of the most common passwords.
    static func requireStrong(_ password: String, username: String) throws {
        guard password.count >= 8, password.utf8.count <= maxPasswordBytes else {
            throw ChatError.badRequest("'password' must be 8 characters to \(maxPasswordBytes) bytes (UTF-8)")
        }
        let lowered = password.lowercased()
        if lowered == username.lowercased() || Set(password).count == 1 || commonPasswords.contains(lowered) {
            throw ChatError.badRequest("'password' is too easy to guess")
        }
    }

    private static let commonPasswords: Set<String> = [
        "12345678", "123456789", "1234567890", "password", "password1", "qwertyuiop", "qwerty123", "iloveyou",
        "11111111", "87654321", "abcd1234", "1q2w3e4r", "football", "baseball", "sunshine", "princess", "admin123",
        "welcome1", "letmein1", "passw0rd", "00000000", "88888888", "woaini1314", "a1234567", "aa123456",
    ]

    /// The caller's account, after checking their password under the login throttle;
    /// `forbidden` when it is wrong.
    public func confirmPassword(_ password: String, of caller: Caller, from address: String?, field: String = "password") async throws -> UserRecord {
        guard let user = try await store.user(id: caller.userId) else { throw ChatError.unauthorized }
        guard let confirmed = try await checkPassword(password, account: user.username, from: address, user: { user }) else {
            throw ChatError.forbidden("the \(field) is wrong")
        }
        return confirmed
    }

    /// Exchanges a refresh token for new tokens; the old refresh token stops working.
    /// Presenting a refresh token that this login had before (it was rotated already) revokes
    /// the whole login: someone else holds a copy. Anything else is a plain `unauthorized`: a
    /// guess must not end someone's login.
    public func refresh(_ request: RefreshRequest, from address: String? = nil) async throws -> TokenGrant {
        if let address { try refreshes.admit(address, now: clock.now()) }
        let parts = request.refreshToken.split(separator: ".")
        guard parts.count == 2, request.refreshToken.utf8.count < 512,
            let session = try await store.authSession(id: String(parts[0]))
        else {
            throw ChatError(.unauthorized, "invalid refresh token")
        }
        let now = clock.now()
        guard session.revokedAt == nil, session.expiresAt > now else {
            throw ChatError(.unauthorized, "refresh token expired or revoked")
        }
        let presented = Self.digest(request.refreshToken)
        let (token, hash) = newRefreshToken(sessionId: session.id)
        switch try await store.rotateRefreshToken(
            sessionId: session.id, currentHash: presented, newHash: hash, expiresAt: now + lifetimes.refreshMilliseconds)
        {
        case .rotated:
            return grant(userId: session.userId, sessionId: session.id, refreshToken: token)
        case .reused:
            try await revoke(authSessionId: session.id, userId: session.userId, reason: "refresh_reuse")
            throw ChatError(.unauthorized, "refresh token was already used; the login is revoked")
        case .unknown:
            throw ChatError(.unauthorized, "invalid refresh token")
        }
    }

    /// Ends a login: its tokens stop working and its sockets are closed.
    public func logout(_ caller: Caller) async throws {
        guard let sid = caller.authSessionId else { return }
        try await revoke(authSessionId: sid, userId: caller.userId, reason: "logout")
        // A device that logged out must not light up for this user any more.
        try await store.deletePushTokens(userId: caller.userId, loginId: sid)
    }

    /// The caller an access token stands for, if it is valid and its login is not revoked.
    public func authenticate(accessToken: String) async throws -> Caller {
        guard let claims = signer.verify(accessToken, now: clock.now()),
            let session = try await store.authSession(id: claims.sid),
            session.revokedAt == nil, session.userId == claims.sub
        else {
            throw ChatError.unauthorized
        }
        return Caller(userId: claims.sub, authSessionId: claims.sid)
    }

    /// A user's public profile.
    public func profile(of userId: String) async throws -> UserProfile {
        guard let user = try await store.user(id: userId) else { throw ChatError.notFound("user not found") }
        return UserProfile(
            userId: user.id, username: user.username, displayName: user.displayName, avatar: user.avatar, createdAt: user.createdAt)
    }

    private func revoke(authSessionId: String, userId: String, reason: String) async throws {
        try await store.revokeAuthSession(id: authSessionId, at: clock.now())
        await bus.publish(.disconnect(Disconnect(
            userId: userId, authSessionId: authSessionId,
            finalFrame: frames.kicked(reason: reason, message: "This login has ended."),
            closeCode: CloseCodes.kicked, reason: reason)))
    }

    private func openSession(for userId: String) async throws -> TokenGrant {
        let sessionId = Self.randomLoginId()
        let (token, hash) = newRefreshToken(sessionId: sessionId)
        let now = clock.now()
        try await store.createAuthSession(AuthSessionRecord(
            id: sessionId, userId: userId, refreshTokenHash: hash,
            expiresAt: now + lifetimes.refreshMilliseconds, createdAt: now))
        return grant(userId: userId, sessionId: sessionId, refreshToken: token)
    }

    private func grant(userId: String, sessionId: String, refreshToken: String) -> TokenGrant {
        let now = clock.now() / 1000
        let access = signer.sign(AccessClaims(sub: userId, sid: sessionId, iat: now, exp: now + Int64(lifetimes.accessSeconds)))
        return TokenGrant(userId: userId, accessToken: access, refreshToken: refreshToken, expiresIn: lifetimes.accessSeconds)
    }

    /// A login id: 128 random bits as 32 hex digits. Not time-ordered (a Snowflake minted
    /// beside the user's id could be guessed from it), and it ends up in the refresh token.
    static func randomLoginId() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    /// `<sessionId>.<256 random bits>`; only its SHA-256 is stored.
    private func newRefreshToken(sessionId: String) -> (token: String, hash: String) {
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { AccessTokenSigner.base64URL(Data($0)) }
        let token = sessionId + "." + secret
        return (token, Self.digest(token))
    }

    static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).hexadecimal
    }
}

/// WebSocket close codes the server uses.
public enum CloseCodes {
    /// The session was replaced by a newer one of the same device, or its login ended.
    public static let kicked: UInt16 = 4001
    /// No frame arrived within the idle timeout.
    public static let idleTimeout: UInt16 = 4002
    /// Repeated abuse of limits.
    public static let policyViolation: UInt16 = 1008
    /// The node is shutting down: reconnect (to another node).
    public static let serviceRestart: UInt16 = 1012
    /// A frame broke the WebSocket protocol.
    public static let protocolError: UInt16 = 1002
    /// A text message that is not UTF-8, or a compressed one that does not inflate.
    public static let invalidPayload: UInt16 = 1007
    /// A message beyond the hard size limit.
    public static let tooBig: UInt16 = 1009
}
