/// A group: its settings. Its conversation is `g_<id>`; its members are that
/// conversation's members, with their roles.
public struct GroupRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var ownerId: String
    public var announcement: String
    /// Only the owner and admins may speak.
    public var muteAll: Bool
    public var joinPolicy: JoinPolicy
    public var createdAt: Int64
    public var updatedAt: Int64
    public var dismissedAt: Int64?

    public init(
        id: String, name: String, ownerId: String, announcement: String = "", muteAll: Bool = false,
        joinPolicy: JoinPolicy = .approval, createdAt: Int64, updatedAt: Int64, dismissedAt: Int64? = nil
    ) {
        self.id = id
        self.name = name
        self.ownerId = ownerId
        self.announcement = announcement
        self.muteAll = muteAll
        self.joinPolicy = joinPolicy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.dismissedAt = dismissedAt
    }

    /// The group's conversation id.
    public var conversationId: String { "g_" + id }
}

/// A member's role in a group, in order of power.
public enum GroupRole: String, Sendable, Equatable, Codable, Comparable {
    case member
    case admin
    case owner

    private var rank: Int {
        switch self {
        case .member: 0
        case .admin: 1
        case .owner: 2
        }
    }

    public static func < (lhs: GroupRole, rhs: GroupRole) -> Bool { lhs.rank < rhs.rank }
}

/// How people who are not members get in.
public enum JoinPolicy: String, Sendable, Equatable, Codable, CaseIterable {
    /// A join request is accepted at once; any member may invite.
    case open
    /// A join request waits for an admin; admins invite.
    case approval
    /// No join requests; admins invite.
    case inviteOnly = "invite_only"
}

/// One change to a group, applied atomically by `Store.changeGroup`.
public enum GroupChange: Sendable, Equatable {
    /// Adds users as members (users already in are left as they are). Throws
    /// `StoreError.full` and adds nobody when the group would have more than `capacity` members.
    case addMembers([String], capacity: Int)
    case removeMember(String)
    /// Sets the fields that are not nil.
    case updateInfo(name: String?, announcement: String?, muteAll: Bool?, joinPolicy: JoinPolicy?)
    case setRole(userId: String, role: GroupRole)
    /// Mutes a member until a time (0 unmutes).
    case muteMember(userId: String, until: Int64)
    /// The owner becomes an admin; `to` becomes the owner.
    case transferOwnership(from: String, to: String)
    /// Ends the group: every member leaves; the history stays stored.
    case dismiss
}
