/// `POST /v1/auth/register` body.
public struct RegisterRequest: Codable, Sendable, Equatable {
    public var username: String
    public var password: String
    public var displayName: String?

    public init(username: String, password: String, displayName: String?) {
        self.username = username
        self.password = password
        self.displayName = displayName
    }
}

/// `POST /v1/auth/login` body.
public struct LoginRequest: Codable, Sendable, Equatable {
    public var username: String
    public var password: String

    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }
}

/// `POST /v1/auth/refresh` body.
public struct RefreshRequest: Codable, Sendable, Equatable {
    public var refreshToken: String
    public init(refreshToken: String) { self.refreshToken = refreshToken }
}

/// The answer of register, login and refresh.
public struct TokenGrant: Codable, Sendable, Equatable {
    public var userId: String
    public var accessToken: String
    public var refreshToken: String
    /// Seconds until `accessToken` expires.
    public var expiresIn: Int

    public init(userId: String, accessToken: String, refreshToken: String, expiresIn: Int) {
        self.userId = userId
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.expiresIn = expiresIn
    }
}

/// A user's public profile (`GET /v1/users/{id}`, `GET /v1/users/me`).
public struct UserProfile: Codable, Sendable, Equatable {
    public var userId: String
    public var username: String
    public var displayName: String
    public var avatar: String?
    public var createdAt: Int64
    /// Only in one's own profile: whether only friends may message privately, who may add
    /// one to groups, and who sees one's presence.
    public var friendsOnly: Bool?
    public var groupAdds: String?
    public var presenceVisibility: String?

    public init(
        userId: String, username: String, displayName: String, avatar: String?, createdAt: Int64, friendsOnly: Bool? = nil,
        groupAdds: String? = nil, presenceVisibility: String? = nil
    ) {
        self.groupAdds = groupAdds
        self.presenceVisibility = presenceVisibility
        self.friendsOnly = friendsOnly
        self.userId = userId
        self.username = username
        self.displayName = displayName
        self.avatar = avatar
        self.createdAt = createdAt
    }

    private enum CodingKeys: String, CodingKey {
        case userId, username, displayName, avatar, createdAt, friendsOnly, groupAdds, presenceVisibility
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(userId, forKey: .userId)
        try c.encode(username, forKey: .username)
        try c.encode(displayName, forKey: .displayName)
        try c.encode(avatar, forKey: .avatar)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(friendsOnly, forKey: .friendsOnly)
        try c.encodeIfPresent(groupAdds, forKey: .groupAdds)
        try c.encodeIfPresent(presenceVisibility, forKey: .presenceVisibility)
    }
}

/// `POST /v1/auth/password`.
public struct PasswordChange: Codable, Sendable, Equatable {
    public var currentPassword: String
    public var newPassword: String

    public init(currentPassword: String, newPassword: String) {
        self.currentPassword = currentPassword
        self.newPassword = newPassword
    }
}
