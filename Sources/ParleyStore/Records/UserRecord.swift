/// A registered user.
public struct UserRecord: Sendable, Equatable {
    public var id: String
    public var username: String
    public var displayName: String
    public var avatar: String?
    public var passwordHash: String
    public var createdAt: Int64
    /// Only friends may start a private chat with this user.
    public var friendsOnly: Bool
    /// When the user's last device went offline (epoch ms); nil if never seen.
    public var lastSeen: Int64?
    /// When an operator banned the user; nil when not banned.
    public var bannedAt: Int64?

    public init(
        id: String, username: String, displayName: String, avatar: String?, passwordHash: String, createdAt: Int64,
        friendsOnly: Bool = false, lastSeen: Int64? = nil, bannedAt: Int64? = nil
    ) {
        self.bannedAt = bannedAt
        self.id = id
        self.username = username
        self.displayName = displayName
        self.avatar = avatar
        self.passwordHash = passwordHash
        self.createdAt = createdAt
        self.friendsOnly = friendsOnly
        self.lastSeen = lastSeen
    }
}

/// Changes to a user's own profile and settings; nil fields stay as they are.
public struct ProfileChange: Sendable, Equatable {
    public var displayName: String?
    public var avatar: String??
    public var friendsOnly: Bool?

    public init(displayName: String? = nil, avatar: String?? = nil, friendsOnly: Bool? = nil) {
        self.displayName = displayName
        self.avatar = avatar
        self.friendsOnly = friendsOnly
    }
}

/// One login of a user: the family of its access tokens and its current refresh token.
public struct AuthSessionRecord: Sendable, Equatable {
    public var id: String
    public var userId: String
    /// SHA-256 of the current refresh token; the token itself is never stored.
    public var refreshTokenHash: String
    public var expiresAt: Int64
    public var createdAt: Int64
    public var revokedAt: Int64?

    public init(id: String, userId: String, refreshTokenHash: String, expiresAt: Int64, createdAt: Int64, revokedAt: Int64? = nil) {
        self.id = id
        self.userId = userId
        self.refreshTokenHash = refreshTokenHash
        self.expiresAt = expiresAt
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}
