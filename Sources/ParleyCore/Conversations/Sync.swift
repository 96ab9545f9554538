import ParleyProtocol
import ParleyStore

extension Chat {
    /// What changed for the caller since their cursors: conversations whose state changed
    /// after `since`, and inbox notifications after `notificationsAfter`, both bounded.
    public func sync(_ request: SyncRequest, for caller: Caller) async throws -> SyncResponse {
        if request.since < 0 || request.notificationsAfter < 0 {
            throw ChatError.badRequest("sync cursors must not be negative")
        }
        let limit = try pageSize(request.limit, default: limits.syncPageDefault, max: limits.syncPageMax)
        async let changed = store.conversationsChanged(userId: caller.userId, after: request.since, limit: limit)
        async let inbox = store.notifications(userId: caller.userId, after: request.notificationsAfter, limit: limit)
        let (page, notifications) = try await (changed, inbox)
        return SyncResponse(
            conversations: try await summaries(page.conversations),
            notifications: notifications.notifications.map { Self.payload($0) },
            version: page.version,
            notificationSeq: notifications.latestSeq,
            hasMore: page.hasMore || notifications.hasMore)
    }

    /// The caller's conversations, pinned first, then by last activity.
    public func conversations(for caller: Caller, limit: Int? = nil) async throws -> [ConversationSummary] {
        let size = try pageSize(limit, default: limits.syncPageMax, max: limits.syncPageMax)
        return try await summaries(try await store.conversationList(userId: caller.userId, limit: size))
    }

    func summaries(_ states: [ConversationState]) async throws -> [ConversationSummary] {
        let last = try await payloads(states.compactMap(\.lastMessage))
        let lastById = Dictionary(last.map { ($0.conversationId, $0) }, uniquingKeysWith: { a, _ in a })
        return states.map { state in
            ConversationSummary(
                conversationId: state.conversation.id, conversationType: ConversationID.type(of: state.conversation.id),
                peerId: state.peerId, lastSeq: state.conversation.lastSeq, deliveredSeq: state.membership.deliveredSeq,
                readSeq: state.membership.readSeq, unread: state.unread, mentionUnread: state.mentionUnread,
                lastMessage: lastById[state.conversation.id], pinned: state.membership.pinned,
                muted: state.membership.muted, updatedAt: state.conversation.updatedAt,
                groupId: state.conversation.type == "group" ? String(state.conversation.id.dropFirst(2)) : nil,
                name: state.groupName,
                hidden: state.membership.hiddenSeq.map { state.conversation.lastSeq <= $0 } ?? false,
                peerDeliveredSeq: state.peerDeliveredSeq, peerReadSeq: state.peerReadSeq)
        }
    }

    static func payload(_ record: NotificationRecord, actionData: JSONValue? = nil) -> NotificationPayload {
        let n = record.notification
        return NotificationPayload(
            notificationType: n.type, title: n.title, content: n.content, actionType: n.actionType,
            actionData: actionData ?? JSONValue(jsonText: n.actionData), priority: n.priority, sound: n.priority == "high",
            badge: 0, seq: record.seq)
    }
}
