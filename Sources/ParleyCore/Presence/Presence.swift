import ParleyProtocol
import ParleyStore
import Synchronization

/// Who is online on this node, per device, aggregated per user: `online` if any device is,
/// `away` if every connected device is away, `offline` when none is connected. Friends hear
/// of every change of a user's aggregate status (`presence` notification); strangers never do.
public final class Presence: Sendable {
    struct Device: Sendable {
        var sessionId: String
        var deviceId: String
        var platform: String
        var status: PresenceStatus
    }

    private let chat: Chat
    private let devices = Mutex<[String: [Device]]>([:])
    /// Most users one query may ask about.
    public static let maxQuery = 200

    public init(chat: Chat) {
        self.chat = chat
    }

    /// A session opened.
    public func connected(_ caller: Caller, deviceId: String, platform: String) async {
        guard let sessionId = caller.sessionId else { return }
        await change(caller.userId) { devices in
            devices.removeAll { $0.sessionId == sessionId }
            devices.append(Device(sessionId: sessionId, deviceId: deviceId, platform: platform, status: .online))
        }
    }

    /// A session closed.
    public func disconnected(_ caller: Caller) async {
        await change(caller.userId) { devices in devices.removeAll { $0.sessionId == caller.sessionId } }
    }

    /// A device says it is online or away.
    public func set(_ status: PresenceStatus, for caller: Caller) async throws {
        guard status != .offline else {
            throw ChatError.badRequest("'status' must be 'online' or 'away'; a device is offline when it disconnects")
        }
        await change(caller.userId) { devices in
            for index in devices.indices where devices[index].sessionId == caller.sessionId {
                devices[index].status = status
            }
        }
    }

    /// The presence of users, as the caller may see it: a user who blocked the caller shows offline.
    public func query(_ userIds: [String], for caller: Caller) async throws -> PresenceList {
        if userIds.isEmpty { throw ChatError.badRequest("'userIds' must list at least one user") }
        if userIds.count > Self.maxQuery { throw ChatError.badRequest("at most \(Self.maxQuery) 'userIds' per query") }
        for id in userIds { try chat.requireIdentifier(id, named: "userIds") }
        let users = try await chat.store.users(ids: Array(Set(userIds)))
        let byId = Dictionary(users.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        // One read for everyone who blocked the caller, not one per user asked about.
        let blockedCaller = Set(try await chat.store.blockers(of: caller.userId))
        var result: [UserPresence] = []
        var listed = Set<String>()
        for id in userIds where listed.insert(id).inserted {
            guard let user = byId[id] else { continue }
            if blockedCaller.contains(id) {
                result.append(UserPresence(userId: id, status: .offline, devices: [], lastSeen: nil))
                continue
            }
            result.append(snapshot(id, lastSeen: user.lastSeen))
        }
        return PresenceList(presence: result)
    }

    /// A user's presence now.
    private func snapshot(_ userId: String, lastSeen: Int64?) -> UserPresence {
        let current = devices.withLock { $0[userId] ?? [] }
        let status = Self.aggregate(current)
        return UserPresence(
            userId: userId, status: status,
            devices: current.map { DevicePresence(deviceId: $0.deviceId, platform: $0.platform, status: $0.status) },
            lastSeen: status == .offline ? lastSeen : chat.clock.now())
    }

    static func aggregate(_ devices: [Device]) -> PresenceStatus {
        if devices.isEmpty { return .offline }
        return devices.contains { $0.status == .online } ? .online : .away
    }

    /// Applies a change to a user's devices; tells their friends when the aggregate status moved.
    private func change(_ userId: String, _ body: (inout [Device]) -> Void) async {
        let (before, after, current) = devices.withLock { table in
            var mine = table[userId] ?? []
            let before = Self.aggregate(mine)
            body(&mine)
            table[userId] = mine.isEmpty ? nil : mine
            return (before, Self.aggregate(mine), mine)
        }
        guard before != after else { return }
        let now = chat.clock.now()
        do {
            if after == .offline { try await chat.store.setLastSeen(userId: userId, at: now) }
            let blocked = Set(try await chat.store.blocks(of: userId).map(\.userId))
            let audience = try await chat.store.friends(of: userId).map(\.userId).filter { !blocked.contains($0) }
            guard !audience.isEmpty else { return }
            let presence = UserPresence(
                userId: userId, status: after,
                devices: current.map { DevicePresence(deviceId: $0.deviceId, platform: $0.platform, status: $0.status) },
                lastSeen: now)
            let notice = NotificationPayload(
                notificationType: NotificationType.presence, actionType: "none",
                actionData: JSONValue(jsonText: String(decoding: FrameCoder.encode(presence), as: UTF8.self)), priority: "low")
            await chat.deliver(chat.frames.notification(notice), to: audience)
        } catch {
            chat.logger.warning("presence change not announced", metadata: ["user": "\(userId)", "error": "\(error)"])
        }
    }
}
