/// `data` of a `notification` frame (seed 000 §3.2), and an element of `sync.notifications`.
///
/// Persisted notifications carry the `seq` of the user's inbox; ephemeral ones
/// (`typing`, `presence`, receipts, `kicked`) carry none.
public struct NotificationPayload: Codable, Sendable, Equatable {
    public var notificationType: String
    public var title: String
    public var content: String
    /// `accept_reject`, `view` or `none`.
    public var actionType: String
    public var actionData: JSONValue
    /// `high`, `normal` or `low`.
    public var priority: String
    public var sound: Bool
    public var badge: Int64
    public var seq: Int64?

    public init(
        notificationType: String, title: String = "", content: String = "", actionType: String = "none",
        actionData: JSONValue, priority: String = "normal", sound: Bool = false, badge: Int64 = 0, seq: Int64? = nil
    ) {
        self.notificationType = notificationType
        self.title = title
        self.content = content
        self.actionType = actionType
        self.actionData = actionData
        self.priority = priority
        self.sound = sound
        self.badge = badge
        self.seq = seq
    }
}

/// The `notificationType`s the server sends.
public enum NotificationType {
    public static let deliveryReceipt = "delivery_receipt"
    public static let readReceipt = "read_receipt"
    public static let typing = "typing"
    public static let messageRecalled = "message_recalled"
    public static let messageEdited = "message_edited"
    public static let messageDeleted = "message_deleted"
    public static let messageReaction = "message_reaction"
    public static let kicked = "kicked"
    public static let presence = "presence"
    public static let conversationUpdated = "conversation_updated"
    public static let system = "system"

    public static let friendRequest = "friend_request"
    public static let friendAccepted = "friend_accepted"
    public static let friendRejected = "friend_rejected"
    public static let friendDeleted = "friend_deleted"
    public static let friendUpdated = "friend_updated"

    public static let groupInvite = "group_invite"
    /// Someone asks the user into a group; accept or reject it (`/v1/group-invitations/…`).
    public static let groupInvitation = "group_invitation"
    public static let groupJoinRequest = "group_join_request"
    public static let groupJoinRejected = "group_join_rejected"
    public static let groupMemberJoined = "group_member_joined"
    public static let groupMemberLeft = "group_member_left"
    public static let groupMemberRemoved = "group_member_removed"
    public static let groupInfoUpdated = "group_info_updated"
    public static let groupAnnouncement = "group_announcement"
    public static let groupMuted = "group_muted"
    public static let groupRoleChanged = "group_role_changed"
    public static let groupOwnerChanged = "group_owner_changed"
    public static let groupDismissed = "group_dismissed"
}
