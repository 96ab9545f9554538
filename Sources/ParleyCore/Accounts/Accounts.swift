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
    }

    let store: any Store
    let bus: any Bus
    let hasher: any PasswordHasher
    let signer: AccessTokenSigner
    let lifetimes: TokenLifetimes
    let clock: WallClock
    let ids: Snowflake
    let frames: Frames
    /// A valid hash to verify against when the username is unknown, so a failed login
    /// takes as long whether or not the user exists.
    private let decoyHash: String?

    public init(
        store: any Store, bus: any Bus, hasher: any PasswordHasher, signer: AccessTokenSigner,
        lifetimes: TokenLifetimes = TokenLifetimes(), clock: WallClock = .system, ids: Snowflake, decoyHash: String? = nil
    ) {
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

    public func register(_ request: RegisterRequest) async throws -> TokenGrant {
        let username = request.username.trimmingCharacters(in: .whitespaces)
        guard (2...64).contains(username.count),
            username.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) && $0.isASCII || "_.-@+".unicodeScalars.contains($0) })
        else {
            throw ChatError.badRequest("'username' must be 2 to 64 characters of a-z, 0-9, '_', '.', '-', '@', '+'")
        }
        guard (6...128).contains(request.password.count) else {
            throw ChatError.badRequest("'password' must be 6 to 128 characters")
        }
        let displayName = (request.displayName ?? username).trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...64).contains(displayName.count) else {
            throw ChatError.badRequest("'displayName' must be 1 to 64 characters")
        }
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

    public func login(_ request: LoginRequest) async throws -> TokenGrant {
        let user = try await store.user(username: request.username.trimmingCharacters(in: .whitespaces))
        guard let user else {
            if let decoyHash { _ = await hasher.verify(request.password, against: decoyHash) }
            throw ChatError(.unauthorized, "wrong username or password")
        }
        guard await hasher.verify(request.password, against: user.passwordHash) else {
            throw ChatError(.unauthorized, "wrong username or password")
        }
        return try await openSession(for: user.id)
    }

    /// Exchanges a refresh token for new tokens; the old refresh token stops working.
    /// Presenting a refresh token that was already rotated revokes the whole login:
    /// someone else holds a copy.
    public func refresh(_ request: RefreshRequest) async throws -> TokenGrant {
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
        guard try await store.rotateRefreshToken(
            sessionId: session.id, currentHash: presented, newHash: hash,
            expiresAt: now + Int64(lifetimes.refreshSeconds) * 1000)
        else {
            try await revoke(authSessionId: session.id, userId: session.userId, reason: "refresh_reuse")
            throw ChatError(.unauthorized, "refresh token was already used; the login is revoked")
        }
        return grant(userId: session.userId, sessionId: session.id, refreshToken: token)
    }

    /// Ends a login: its tokens stop working and its sockets are closed.
    public func logout(_ caller: Caller) async throws {
        guard let sid = caller.authSessionId else { return }
        try await revoke(authSessionId: sid, userId: caller.userId, reason: "logout")
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

    /// A user's public profile; `own` adds the user's settings (for `GET /v1/users/me`).
    public func profile(of userId: String, own: Bool = false) async throws -> UserProfile {
        guard let user = try await store.user(id: userId) else { throw ChatError.notFound("user not found") }
        return UserProfile(
            userId: user.id, username: user.username, displayName: user.displayName, avatar: user.avatar,
            createdAt: user.createdAt, friendsOnly: own ? user.friendsOnly : nil)
    }

    private func revoke(authSessionId: String, userId: String, reason: String) async throws {
        try await store.revokeAuthSession(id: authSessionId, at: clock.now())
        await bus.publish(.disconnect(Disconnect(
            userId: userId, authSessionId: authSessionId,
            finalFrame: frames.kicked(reason: reason, message: "This login has ended."),
            closeCode: CloseCodes.kicked, reason: reason)))
    }

    private func openSession(for userId: String) async throws -> TokenGrant {
        let sessionId = ids.next()
        let (token, hash) = newRefreshToken(sessionId: sessionId)
        let now = clock.now()
        try await store.createAuthSession(AuthSessionRecord(
            id: sessionId, userId: userId, refreshTokenHash: hash,
            expiresAt: now + Int64(lifetimes.refreshSeconds) * 1000, createdAt: now))
        return grant(userId: userId, sessionId: sessionId, refreshToken: token)
    }

    private func grant(userId: String, sessionId: String, refreshToken: String) -> TokenGrant {
        let now = clock.now() / 1000
        let access = signer.sign(AccessClaims(sub: userId, sid: sessionId, iat: now, exp: now + Int64(lifetimes.accessSeconds)))
        return TokenGrant(userId: userId, accessToken: access, refreshToken: refreshToken, expiresIn: lifetimes.accessSeconds)
    }

    /// `<sessionId>.<256 random bits>`; only its SHA-256 is stored.
    private func newRefreshToken(sessionId: String) -> (token: String, hash: String) {
        let secret = SymmetricKey(size: .bits256).withUnsafeBytes { AccessTokenSigner.base64URL(Data($0)) }
        let token = sessionId + "." + secret
        return (token, Self.digest(token))
    }

    static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
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
}
