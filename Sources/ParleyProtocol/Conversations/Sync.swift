/// `data` of a client `sync` frame (and the query of `GET /v1/sync`).
public struct SyncRequest: Codable, Sendable, Equatable {
    /// The `version` of the previous sync reply; 0 for everything.
    public var since: Int64
    /// The last notification `seq` received; 0 for everything.
    public var notificationsAfter: Int64
    /// Page size for each list (default and maximum set by the server).
    public var limit: Int?

    public init(since: Int64 = 0, notificationsAfter: Int64 = 0, limit: Int? = nil) {
        self.since = since
        self.notificationsAfter = notificationsAfter
        self.limit = limit
    }

    private enum CodingKeys: String, CodingKey { case since, notificationsAfter, limit }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.since = try c.decodeIfPresent(Int64.self, forKey: .since) ?? 0
        self.notificationsAfter = try c.decodeIfPresent(Int64.self, forKey: .notificationsAfter) ?? 0
        self.limit = try c.decodeIfPresent(Int.self, forKey: .limit)
    }
}

/// `data` of the `sync` reply.
public struct SyncResponse: Codable, Sendable, Equatable {
    /// Conversations changed after `since`, oldest change first.
    public var conversations: [ConversationSummary]
    /// Persisted notifications after `notificationsAfter`, ascending `seq`.
    public var notifications: [NotificationPayload]
    /// The cursor to pass as `since` next time.
    public var version: Int64
    /// The user's latest notification seq.
    public var notificationSeq: Int64
    /// True when either list was cut: ask again with the new cursors.
    public var hasMore: Bool

    public init(
        conversations: [ConversationSummary], notifications: [NotificationPayload], version: Int64,
        notificationSeq: Int64, hasMore: Bool
    ) {
        self.conversations = conversations
        self.notifications = notifications
        self.version = version
        self.notificationSeq = notificationSeq
        self.hasMore = hasMore
    }
}
