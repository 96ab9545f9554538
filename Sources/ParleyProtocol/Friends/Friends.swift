/// `POST /v1/friends/requests`.
public struct FriendRequestBody: Codable, Sendable, Equatable {
    public var userId: String
    public var message: String?

    public init(userId: String, message: String? = nil) {
        self.userId = userId
        self.message = message
    }
}

/// The answer to a request that may wait for someone (a friend request, a join request),
/// and to its accept/reject: `status` is `pending`, `accepted` or `rejected`.
public struct RequestReceipt: Codable, Sendable, Equatable {
    public var requestId: String
    public var status: String

    public init(requestId: String, status: String) {
        self.requestId = requestId
        self.status = status
    }
}

/// A pending request as listed to the people involved.
public struct PendingRequest: Codable, Sendable, Equatable {
    public var requestId: String
    /// Who asked.
    public var userId: String
    public var displayName: String?
    /// The user asked (friend requests) or the group (join requests).
    public var targetId: String
    public var message: String
    public var createdAt: Int64

    public init(requestId: String, userId: String, displayName: String?, targetId: String, message: String, createdAt: Int64) {
        self.requestId = requestId
        self.userId = userId
        self.displayName = displayName
        self.targetId = targetId
        self.message = message
        self.createdAt = createdAt
    }
}

/// `GET /v1/friends/requests`.
public struct FriendRequestList: Codable, Sendable, Equatable {
    public var incoming: [PendingRequest]
    public var outgoing: [PendingRequest]

    public init(incoming: [PendingRequest], outgoing: [PendingRequest]) {
        self.incoming = incoming
        self.outgoing = outgoing
    }
}

/// Another user as a friend list or block list shows them.
public struct Contact: Codable, Sendable, Equatable {
    public var userId: String
    public var username: String
    public var displayName: String
    public var avatar: String?
    /// Friends (or blocked) since, epoch ms.
    public var since: Int64

    public init(userId: String, username: String, displayName: String, avatar: String?, since: Int64) {
        self.userId = userId
        self.username = username
        self.displayName = displayName
        self.avatar = avatar
        self.since = since
    }
}

/// `GET /v1/friends`.
public struct FriendList: Codable, Sendable, Equatable {
    public var friends: [Contact]
    public init(friends: [Contact]) { self.friends = friends }
}

/// `GET /v1/blocks`.
public struct BlockList: Codable, Sendable, Equatable {
    public var blocks: [Contact]
    public init(blocks: [Contact]) { self.blocks = blocks }
}

/// `POST /v1/blocks`.
public struct BlockBody: Codable, Sendable, Equatable {
    public var userId: String
    public init(userId: String) { self.userId = userId }
}

/// `PATCH /v1/users/me`: fields left out stay as they are.
public struct ProfileUpdate: Codable, Sendable, Equatable {
    public var displayName: String?
    public var avatar: String?
    /// Only friends may start a private chat with me.
    public var friendsOnly: Bool?
    /// Who may put me into a group without asking: `everyone`, `friends` or `nobody`.
    public var groupAdds: String?
    /// Who sees my status and last seen: `contacts` (friends and people in a group with me),
    /// `friends` or `nobody`.
    public var presenceVisibility: String?

    public init(
        displayName: String? = nil, avatar: String? = nil, friendsOnly: Bool? = nil, groupAdds: String? = nil,
        presenceVisibility: String? = nil
    ) {
        self.groupAdds = groupAdds
        self.presenceVisibility = presenceVisibility
        self.displayName = displayName
        self.avatar = avatar
        self.friendsOnly = friendsOnly
    }
}
