/// `POST /v1/groups`.
public struct CreateGroup: Codable, Sendable, Equatable {
    public var name: String
    public var memberIds: [String]?
    public var announcement: String?
    /// `open`, `approval` (default) or `invite_only`.
    public var joinPolicy: String?

    public init(name: String, memberIds: [String]? = nil, announcement: String? = nil, joinPolicy: String? = nil) {
        self.name = name
        self.memberIds = memberIds
        self.announcement = announcement
        self.joinPolicy = joinPolicy
    }
}

/// `POST /v1/groups` response.
public struct GroupCreated: Codable, Sendable, Equatable {
    public var groupId: String
    public var conversationId: String
    /// Users asked to join (their `groupAdds` did not let the creator add them directly).
    public var invited: [String]

    public init(groupId: String, conversationId: String, invited: [String] = []) {
        self.groupId = groupId
        self.conversationId = conversationId
        self.invited = invited
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        groupId = try c.decode(String.self, forKey: .groupId)
        conversationId = try c.decode(String.self, forKey: .conversationId)
        invited = try c.decodeIfPresent([String].self, forKey: .invited) ?? []
    }
}

/// `GET /v1/groups/{groupId}`.
public struct GroupInfo: Codable, Sendable, Equatable {
    public var groupId: String
    public var conversationId: String
    public var name: String
    public var ownerId: String
    public var announcement: String
    public var muteAll: Bool
    public var joinPolicy: String
    public var memberCount: Int
    public var createdAt: Int64
    public var members: [GroupMember]

    public init(
        groupId: String, conversationId: String, name: String, ownerId: String, announcement: String, muteAll: Bool,
        joinPolicy: String, memberCount: Int, createdAt: Int64, members: [GroupMember]
    ) {
        self.groupId = groupId
        self.conversationId = conversationId
        self.name = name
        self.ownerId = ownerId
        self.announcement = announcement
        self.muteAll = muteAll
        self.joinPolicy = joinPolicy
        self.memberCount = memberCount
        self.createdAt = createdAt
        self.members = members
    }
}

/// A member in `GroupInfo.members`.
public struct GroupMember: Codable, Sendable, Equatable {
    public var userId: String
    /// `owner`, `admin` or `member`.
    public var role: String
    public var displayName: String?
    /// Muted until (epoch ms); 0 when not muted.
    public var mutedUntil: Int64
    public var joinedAt: Int64

    public init(userId: String, role: String, displayName: String?, mutedUntil: Int64, joinedAt: Int64) {
        self.userId = userId
        self.role = role
        self.displayName = displayName
        self.mutedUntil = mutedUntil
        self.joinedAt = joinedAt
    }
}

/// `POST /v1/groups/{groupId}/members`.
public struct InviteMembers: Codable, Sendable, Equatable {
    public var userIds: [String]
    public init(userIds: [String]) { self.userIds = userIds }
}

/// `POST /v1/groups/{groupId}/members` response: who was added (members already in are left out).
public struct MembersAdded: Codable, Sendable, Equatable {
    public var groupId: String
    public var added: [String]
    /// Users asked to join instead of added (see `groupAdds`).
    public var invited: [String]

    public init(groupId: String, added: [String], invited: [String] = []) {
        self.groupId = groupId
        self.added = added
        self.invited = invited
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        groupId = try c.decode(String.self, forKey: .groupId)
        added = try c.decode([String].self, forKey: .added)
        invited = try c.decodeIfPresent([String].self, forKey: .invited) ?? []
    }
}

/// One pending invitation into a group, as the invited user sees it (`GET /v1/group-invitations`).
public struct GroupInvitation: Codable, Sendable, Equatable {
    public var invitationId: String
    public var groupId: String
    public var name: String
    public var inviterId: String
    public var inviterName: String?
    public var createdAt: Int64

    public init(invitationId: String, groupId: String, name: String, inviterId: String, inviterName: String?, createdAt: Int64) {
        self.invitationId = invitationId
        self.groupId = groupId
        self.name = name
        self.inviterId = inviterId
        self.inviterName = inviterName
        self.createdAt = createdAt
    }
}

/// `GET /v1/group-invitations`.
public struct GroupInvitationList: Codable, Sendable, Equatable {
    public var invitations: [GroupInvitation]
    public init(invitations: [GroupInvitation]) { self.invitations = invitations }
}

/// The answer to accepting or rejecting an invitation.
public struct InvitationReceipt: Codable, Sendable, Equatable {
    public var invitationId: String
    public var status: String
    public var groupId: String

    public init(invitationId: String, status: String, groupId: String) {
        self.invitationId = invitationId
        self.status = status
        self.groupId = groupId
    }
}

/// `POST /v1/groups/{groupId}/join-requests`.
public struct JoinRequestBody: Codable, Sendable, Equatable {
    public var message: String?
    public init(message: String? = nil) { self.message = message }
}

/// `GET /v1/groups/{groupId}/join-requests`.
public struct JoinRequestList: Codable, Sendable, Equatable {
    public var requests: [PendingRequest]
    public init(requests: [PendingRequest]) { self.requests = requests }
}

/// `PATCH /v1/groups/{groupId}`: fields left out stay as they are.
public struct GroupUpdate: Codable, Sendable, Equatable {
    public var name: String?
    public var announcement: String?
    public var muteAll: Bool?
    public var joinPolicy: String?

    public init(name: String? = nil, announcement: String? = nil, muteAll: Bool? = nil, joinPolicy: String? = nil) {
        self.name = name
        self.announcement = announcement
        self.muteAll = muteAll
        self.joinPolicy = joinPolicy
    }
}

/// `PUT /v1/groups/{groupId}/roles/{userId}`.
public struct RoleAssignment: Codable, Sendable, Equatable {
    public var role: String
    public init(role: String) { self.role = role }
}

/// `PUT /v1/groups/{groupId}/mutes/{userId}`.
public struct MemberMute: Codable, Sendable, Equatable {
    /// Muted until, epoch ms.
    public var until: Int64
    public init(until: Int64) { self.until = until }
}

/// `POST /v1/groups/{groupId}/transfer`.
public struct OwnershipTransfer: Codable, Sendable, Equatable {
    public var userId: String
    public init(userId: String) { self.userId = userId }
}

/// `GET /v1/conversations/{id}/messages/{messageId}/receipts`: who has read a group message.
public struct MessageReceipts: Codable, Sendable, Equatable {
    public var messageId: String
    public var seq: Int64
    /// Members other than the sender.
    public var memberCount: Int
    public var deliveredCount: Int
    public var readCount: Int
    public var readBy: [String]

    public init(messageId: String, seq: Int64, memberCount: Int, deliveredCount: Int, readCount: Int, readBy: [String]) {
        self.messageId = messageId
        self.seq = seq
        self.memberCount = memberCount
        self.deliveredCount = deliveredCount
        self.readCount = readCount
        self.readBy = readBy
    }
}
