/// A notification to persist in a user's inbox.
public struct NewNotification: Sendable, Equatable {
    public var userId: String
    public var id: String
    public var type: String
    public var title: String
    public var content: String
    public var actionType: String
    /// JSON text.
    public var actionData: String
    public var priority: String
    public var createdAt: Int64

    public init(
        userId: String, id: String, type: String, title: String, content: String, actionType: String,
        actionData: String, priority: String, createdAt: Int64
    ) {
        self.userId = userId
        self.id = id
        self.type = type
        self.title = title
        self.content = content
        self.actionType = actionType
        self.actionData = actionData
        self.priority = priority
        self.createdAt = createdAt
    }
}

/// A persisted notification with its inbox seq.
public struct NotificationRecord: Sendable, Equatable {
    public var notification: NewNotification
    public var seq: Int64

    public init(notification: NewNotification, seq: Int64) {
        self.notification = notification
        self.seq = seq
    }
}

/// A page of a user's inbox.
public struct NotificationPage: Sendable, Equatable {
    public var notifications: [NotificationRecord]
    public var latestSeq: Int64
    public var hasMore: Bool

    public init(notifications: [NotificationRecord], latestSeq: Int64, hasMore: Bool) {
        self.notifications = notifications
        self.latestSeq = latestSeq
        self.hasMore = hasMore
    }
}
