import Logging
import NIOCore
import ParleyBus
import ParleyProtocol
import ParleyStore

/// The messaging domain: sending, recall, receipts, typing, history, sync and the
/// conversation list. Written against `Store` and `Bus` only, so it runs the same on
/// one node or many, and in tests without a network.
public struct Chat: Sendable {
    public let store: any Store
    public let bus: any Bus
    public let limits: ChatLimits
    public let clock: WallClock
    public let ids: Snowflake
    public let frames: Frames
    let profiles: ProfileDirectory
    let rosters: GroupRosters
    /// The sensitive-word rules applied to what users write.
    public let rules: ContentRules
    public let metrics: NodeMetrics
    /// The pre-send webhook, if configured.
    let hook: (any SendHook)?
    /// Where message events go for the event webhook; nil when none is configured.
    let events: EventFeed?
    /// Where messages to offline users become pushes; nil when no push provider is configured.
    let pushes: PushFeed?
    /// Invitations into groups per inviter: each one notifies someone who did not ask for it.
    let invitations: KeyedRateLimit
    let logger: Logger

    public init(
        store: any Store, bus: any Bus, limits: ChatLimits = ChatLimits(), clock: WallClock = .system, ids: Snowflake,
        rules: ContentRules? = nil, metrics: NodeMetrics = NodeMetrics(), hook: (any SendHook)? = nil, events: EventFeed? = nil,
        pushes: PushFeed? = nil, logger: Logger
    ) {
        self.hook = hook
        self.events = events
        self.pushes = pushes
        self.invitations = KeyedRateLimit("invitations from this account", rate: limits.invitationRate, burst: limits.invitationBurst)
        self.rules = rules ?? ContentRules()
        self.metrics = metrics
        self.store = store
        self.bus = bus
        self.limits = limits
        self.clock = clock
        self.ids = ids
        self.frames = Frames(ids: ids, clock: clock)
        self.profiles = ProfileDirectory(store: store)
        self.rosters = GroupRosters(store: store)
        self.logger = logger
    }

    /// The membership of `caller` in a conversation. A non-member gets `forbidden` whether or
    /// not the conversation exists, so nobody can probe which users have talked; only one's own
    /// not-yet-started private conversation is `not_found`.
    func requireMembership(_ caller: Caller, in conversationId: String) async throws -> MembershipRecord {
        if let membership = try await store.membership(conversationId: conversationId, userId: caller.userId) {
            return membership
        }
        if isOwnPrivateConversation(conversationId, of: caller) {
            throw ChatError.notFound("conversation not found")
        }
        throw ChatError.forbidden("not a member of this conversation")
    }

    /// A message (not an event) of the conversation; `not_found` otherwise.
    func conversationMessage(_ messageId: String, in conversationId: String) async throws -> MessageRecord {
        guard let message = try await store.message(id: messageId), message.conversationId == conversationId, !message.isEvent else {
            throw ChatError.notFound("message not found in this conversation")
        }
        return message
    }

    /// Whether `conversationId` is a private conversation the caller is one of the two users of.
    func isOwnPrivateConversation(_ conversationId: String, of caller: Caller) -> Bool {
        guard let (a, b) = ConversationID.privateUsers(conversationId) else { return false }
        return caller.userId == a || caller.userId == b
    }

    /// Validates a client-chosen identifier.
    func requireIdentifier(_ value: String, named name: String) throws {
        if value.isEmpty { throw ChatError.badRequest("'\(name)' must not be empty") }
        if value.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            throw ChatError.badRequest("'\(name)' must not contain control characters")
        }
        if value.utf8.count > limits.maxClientIdLength {
            throw ChatError.badRequest("'\(name)' is longer than \(limits.maxClientIdLength) bytes")
        }
    }

    /// A device id as sessions announce it (and push tokens name it): 1 to `maxLength`
    /// characters of ASCII letters, digits, `-`, `_`, `.`, `:`.
    public static func requireDeviceId(_ deviceId: String, maxLength: Int) throws {
        guard !deviceId.isEmpty, deviceId.utf8.count <= maxLength,
            deviceId.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.:".unicodeScalars.contains($0)) })
        else {
            throw ChatError.badRequest("'deviceId' must be 1 to \(maxLength) characters of letters, digits, '-', '_', '.', ':'")
        }
    }

    /// Forgets the cached members of a group (its membership changed, here or on another node).
    public func forgetRoster(_ conversationId: String) {
        rosters.invalidate(conversationId)
    }

    /// Forgets a cached profile (it changed, here or on another node).
    public func forgetProfile(_ userId: String) {
        profiles.forget(userId)
    }

    /// After a membership change: every node forgets the group's cached members.
    func membersChanged(_ conversationId: String) async {
        rosters.invalidate(conversationId)
        await bus.publish(.rosterChanged(conversationId: conversationId))
    }

    /// The members of a conversation (group members come from the roster cache).
    func memberIds(of conversationId: String) async throws -> [String] {
        if ConversationID.type(of: conversationId) == .group { return try await rosters.members(of: conversationId) }
        return try await store.memberIds(conversationId: conversationId)
    }

    /// Publishes a frame to users' sessions.
    func deliver(_ frame: ByteBuffer, to recipients: [String], except session: String? = nil) async {
        guard !recipients.isEmpty else { return }
        await bus.publish(.deliver(Delivery(recipients: recipients, excludedSession: session, frame: frame)))
    }

    /// The client view of a stored item (`parsingContent: false` leaves `content` nil for a
    /// caller that has it already).
    func payload(_ record: MessageRecord, names: [String: UserRecord], parsingContent: Bool = true) -> MessagePayload {
        let sender = names[record.senderId]
        return MessagePayload(
            messageId: record.messageId, timestamp: record.createdAt,
            conversationType: ConversationID.type(of: record.conversationId), conversationId: record.conversationId,
            seq: record.seq, senderId: record.senderId, senderName: sender?.displayName, senderAvatar: sender?.avatar,
            contentType: record.contentType, content: parsingContent ? record.content.map(JSONValue.init(jsonText:)) : nil,
            atUsers: record.atUsers, replyTo: record.replyTo, localId: record.localId, recalled: record.recalled,
            edited: record.editedAt != nil, editedAt: record.editedAt)
    }

    /// Client views of stored items, with sender names looked up once per sender.
    func payloads(_ records: [MessageRecord]) async throws -> [MessagePayload] {
        let names = try await profiles.users(Set(records.map(\.senderId)))
        return records.map { payload($0, names: names) }
    }
}
