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
    /// Who may put the user into a group without asking; nil: the default (see `GroupAdds`).
    public var groupAdds: GroupAdds?
    /// Who sees the user's presence.
    public var presenceVisibility: PresenceVisibility
    /// When the user deleted their account; the record stays, anonymised, for their messages.
    public var deletedAt: Int64?

    public init(
        id: String, username: String, displayName: String, avatar: String?, passwordHash: String, createdAt: Int64,
        friendsOnly: Bool = false, lastSeen: Int64? = nil, bannedAt: Int64? = nil, groupAdds: GroupAdds? = nil,
        presenceVisibility: PresenceVisibility = .contacts, deletedAt: Int64? = nil
    ) {
        self.groupAdds = groupAdds
        self.presenceVisibility = presenceVisibility
        self.deletedAt = deletedAt
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
    public var groupAdds: GroupAdds?
    public var presenceVisibility: PresenceVisibility?

    public init(
        displayName: String? = nil, avatar: String?? = nil, friendsOnly: Bool? = nil, groupAdds: GroupAdds? = nil,
        presenceVisibility: PresenceVisibility? = nil
    ) {
        self.groupAdds = groupAdds
        self.presenceVisibility = presenceVisibility
        self.displayName = displayName
        self.avatar = avatar
        self.friendsOnly = friendsOnly
    }
}

/// Who may add a user to a group directly; anyone else's add becomes an invitation.
public enum GroupAdds: String, Sendable, Equatable, Codable, CaseIterable {
    case everyone
    case friends
    case nobody
}

/// Who sees a user's online status and last-seen time.
public enum PresenceVisibility: String, Sendable, Equatable, Codable, CaseIterable {
    /// Friends and people who share a group with the user.
    case contacts
    case friends
    case nobody
}

/// What `rotateRefreshToken` found.
public enum RefreshRotation: Sendable, Equatable {
    /// The presented token was the current one; the new one replaces it.
    case rotated
    /// The presented token is one this login had before: someone holds a stolen copy.
    case reused
    /// The presented token was never this login's (a guess), or the login is revoked.
    case unknown
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

/// What an account becomes when its user deletes it.
public struct DeletedAccount: Sendable, Equatable {
    public var username: String
    public var displayName: String
    /// A value no password hashes to.
    public var passwordHash: String

    public init(username: String, displayName: String, passwordHash: String) {
        self.username = username
        self.displayName = displayName
        self.passwordHash = passwordHash
    }
}
