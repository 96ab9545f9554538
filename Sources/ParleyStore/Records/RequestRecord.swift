/// A request that waits for someone's decision: a friend request (target: a user), a
/// request to join a group (target: the group), or an invitation into a group (target: the
/// group; `fromId` is the invited user, who decides, and `inviterId` who invited them).
public struct RequestRecord: Sendable, Equatable {
    public var id: String
    public var kind: RequestKind
    public var fromId: String
    /// The user asked to be a friend, or the group asked to be joined.
    public var targetId: String
    /// Who invited `fromId` (group invitations only).
    public var inviterId: String?
    public var message: String
    public var status: RequestStatus
    public var decidedBy: String?
    public var createdAt: Int64
    public var decidedAt: Int64?

    public init(
        id: String, kind: RequestKind, fromId: String, targetId: String, message: String,
        status: RequestStatus = .pending, decidedBy: String? = nil, createdAt: Int64, decidedAt: Int64? = nil,
        inviterId: String? = nil
    ) {
        self.inviterId = inviterId
        self.id = id
        self.kind = kind
        self.fromId = fromId
        self.targetId = targetId
        self.message = message
        self.status = status
        self.decidedBy = decidedBy
        self.createdAt = createdAt
        self.decidedAt = decidedAt
    }
}

public enum RequestKind: String, Sendable, Equatable {
    case friend
    case groupJoin = "group_join"
    case groupInvitation = "group_invitation"

    /// Kinds whose acceptance puts `fromId` into the group `targetId`.
    public var joinsGroup: Bool { self == .groupJoin || self == .groupInvitation }
}

public enum RequestStatus: String, Sendable, Equatable, Codable {
    case pending
    case accepted
    case rejected
}

/// A friend, as the user who has them sees them.
public struct FriendRecord: Sendable, Equatable {
    public var userId: String
    public var since: Int64

    public init(userId: String, since: Int64) {
        self.userId = userId
        self.since = since
    }
}

/// A user someone blocked.
public struct BlockRecord: Sendable, Equatable {
    public var userId: String
    public var since: Int64

    public init(userId: String, since: Int64) {
        self.userId = userId
        self.since = since
    }
}
