import ParleyBus
import ParleyProtocol
import ParleyStore
import Synchronization

/// Who is online, per device, aggregated per user: `online` if any device is, `away` if every
/// connected device is away, `offline` when none is connected. This node's devices go to the
/// `PresenceDirectory`, which sees every node's; friends hear of every change of a user's
/// aggregate status (`presence` notification), strangers never do. Device ids go to the user
/// alone (see `query`).
public final class Presence: Sendable {
    private let chat: Chat
    private let directory: any PresenceDirectory
    private let node: Int
    /// This node's devices, by user.
    private let devices = Mutex<[String: [PresenceDevice]]>([:])
    /// Changes to announce, in the order they happened.
    private let changes: AsyncStream<PresenceChange>.Continuation
    /// Most users one query may ask about.
    public static let maxQuery = 200

    public init(chat: Chat, directory: any PresenceDirectory, node: Int) {
        self.chat = chat
        self.directory = directory
        self.node = node
        let (stream, continuation) = AsyncStream.makeStream(of: PresenceChange.self)
        self.changes = continuation
        directory.onChange { continuation.yield($0) }
        // One announcer task, so a user's changes reach friends in the order they happened.
        Task { [chat] in
            for await change in stream { await Self.announce(change, chat: chat) }
        }
    }

    deinit { changes.finish() }

    /// A session opened.
    public func connected(_ caller: Caller, deviceId: String, platform: String) async {
        guard let sessionId = caller.sessionId else { return }
        change(caller.userId) { devices in
            devices.removeAll { $0.sessionId == sessionId }
            devices.append(PresenceDevice(sessionId: sessionId, deviceId: deviceId, platform: platform, status: .online, node: node))
        }
    }

    /// A session closed.
    public func disconnected(_ caller: Caller) async {
        change(caller.userId) { devices in devices.removeAll { $0.sessionId == caller.sessionId } }
    }

    /// A device says it is online or away.
    public func set(_ status: PresenceStatus, for caller: Caller) async throws {
        guard status != .offline else {
            throw ChatError.badRequest("'status' must be 'online' or 'away'; a device is offline when it disconnects")
        }
        change(caller.userId) { devices in
            for index in devices.indices where devices[index].sessionId == caller.sessionId {
                devices[index].status = status
            }
        }
    }

    /// The presence of users, as the caller may see it. Device ids (often a phone's name) go
    /// to the user themselves only; others see status and last seen, and only when the user's
    /// `presenceVisibility` admits them (friends, or people who share a group with the user).
    /// Anyone else, and anyone the user blocked, sees `offline` with no last seen: the same as
    /// a user who never comes online, so nothing tells the two apart.
    public func query(_ userIds: [String], for caller: Caller) async throws -> PresenceList {
        if userIds.isEmpty { throw ChatError.badRequest("'userIds' must list at least one user") }
        if userIds.count > Self.maxQuery { throw ChatError.badRequest("at most \(Self.maxQuery) 'userIds' per query") }
        for id in userIds { try chat.requireIdentifier(id, named: "userIds") }
        let users = try await chat.store.users(ids: Array(Set(userIds)))
        let byId = Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // One read for everyone who blocked the caller, and one for the caller's friends and
        // groups, not one per user asked about.
        let blockedCaller = Set(try await chat.store.blockers(of: caller.userId))
        let friends = Set(try await chat.store.friends(of: caller.userId).map(\.userId))
        var callerGroups: Set<String>?
        var result: [UserPresence] = []
        var listed = Set<String>()
        for id in userIds where listed.insert(id).inserted {
            guard let user = byId[id] else { continue }
            if id == caller.userId {
                result.append(snapshot(id, lastSeen: user.lastSeen, withDevices: true))
                continue
            }
            var visible: Bool
            switch user.presenceVisibility {
            case .nobody: visible = false
            case .friends: visible = friends.contains(id)
            case .contacts:
                visible = friends.contains(id)
                if !visible {
                    if callerGroups == nil { callerGroups = try await groups(of: caller.userId) }
                    visible = !(callerGroups!.isDisjoint(with: try await groups(of: id)))
                }
            }
            if blockedCaller.contains(id) || user.deletedAt != nil { visible = false }
            result.append(visible ? snapshot(id, lastSeen: user.lastSeen, withDevices: false) : Self.hidden(id))
        }
        return PresenceList(presence: result)
    }

    /// What someone who may not see a user's presence gets.
    static func hidden(_ userId: String) -> UserPresence {
        UserPresence(userId: userId, status: .offline, devices: [], lastSeen: nil)
    }

    /// The group conversations a user is in.
    private func groups(of userId: String) async throws -> Set<String> {
        Set(try await chat.store.memberships(userId: userId).map(\.conversationId).filter { $0.hasPrefix("g_") })
    }

    /// A user's presence now, across the cluster (with device ids only for the user themselves).
    private func snapshot(_ userId: String, lastSeen: Int64?, withDevices: Bool) -> UserPresence {
        let current = directory.devices(of: userId)
        let status = LocalPresenceDirectory.aggregate(current)
        return UserPresence(
            userId: userId, status: status,
            devices: withDevices ? current.map { DevicePresence(deviceId: $0.deviceId, platform: $0.platform, status: $0.status) } : [],
            lastSeen: status == .offline ? lastSeen : chat.clock.now())
    }

    /// Applies a change to this node's devices of a user and hands them to the directory
    /// (inside the lock, so two changes of one user reach it in order).
    private func change(_ userId: String, _ body: (inout [PresenceDevice]) -> Void) {
        devices.withLock { table in
            var mine = table[userId] ?? []
            body(&mine)
            table[userId] = mine.isEmpty ? nil : mine
            directory.publish(userId, devices: mine)
        }
    }

    /// Tells a user's friends (except those the user blocked) of their new status; going
    /// offline also records when the user was last seen.
    private static func announce(_ change: PresenceChange, chat: Chat) async {
        let now = chat.clock.now()
        do {
            if change.status == .offline { try await chat.store.setLastSeen(userId: change.userId, at: now) }
            // Friends hear of changes, unless the user shows their presence to nobody; device
            // ids stay with the user's own devices.
            guard try await chat.store.user(id: change.userId)?.presenceVisibility != .nobody else { return }
            let blocked = Set(try await chat.store.blocks(of: change.userId).map(\.userId))
            let audience = try await chat.store.friends(of: change.userId).map(\.userId).filter { !blocked.contains($0) }
            guard !audience.isEmpty else { return }
            let presence = UserPresence(userId: change.userId, status: change.status, devices: [], lastSeen: now)
            let notice = NotificationPayload(
                notificationType: NotificationType.presence, actionType: "none",
                actionData: JSONValue(jsonText: String(decoding: FrameCoder.encode(presence), as: UTF8.self)), priority: "low")
            await chat.deliver(chat.frames.notification(notice), to: audience)
        } catch {
            chat.logger.warning("presence change not announced", metadata: ["user": "\(change.userId)", "error": "\(error)"])
        }
    }
}
