import ParleyProtocol
import Synchronization

/// One connected device of a user, as presence knows it.
public struct PresenceDevice: Sendable, Codable, Equatable {
    public var sessionId: String
    public var deviceId: String
    public var platform: String
    public var status: PresenceStatus
    /// The node holding the session.
    public var node: Int

    public init(sessionId: String, deviceId: String, platform: String, status: PresenceStatus, node: Int) {
        self.sessionId = sessionId
        self.deviceId = deviceId
        self.platform = platform
        self.status = status
        self.node = node
    }
}

/// A change of a user's aggregate status that this node is to announce to the user's friends.
public struct PresenceChange: Sendable {
    public var userId: String
    public var status: PresenceStatus
    /// Every device of the user now, on every node.
    public var devices: [PresenceDevice]
}

/// Who is connected where: every node's devices of every user. On one node it is this node's
/// table; in a cluster each node publishes its own devices to a shared key-value bucket and
/// mirrors everyone else's, so presence queries and routing see the whole cluster.
public protocol PresenceDirectory: Sendable {
    /// Replaces this node's devices of `userId` (empty: none left here).
    func publish(_ userId: String, devices: [PresenceDevice])
    /// Every device of `userId` on every live node.
    func devices(of userId: String) -> [PresenceDevice]
    /// Sets who hears of aggregate status changes this node is responsible for announcing
    /// (on one node: all of them; in a cluster: the share assigned to this node, including
    /// changes caused by another node dying).
    func onChange(_ handler: @escaping @Sendable (PresenceChange) -> Void)
}

extension PresenceDirectory {
    /// Online if any device is, away if every connected device is, offline when none is connected.
    public static func aggregate(_ devices: [PresenceDevice]) -> PresenceStatus {
        if devices.isEmpty { return .offline }
        return devices.contains { $0.status == .online } ? .online : .away
    }
}

/// The directory of a single node: its own sessions are all there is.
public final class LocalPresenceDirectory: PresenceDirectory {
    private let table = Mutex<[String: [PresenceDevice]]>([:])
    private let handler = Mutex<(@Sendable (PresenceChange) -> Void)?>(nil)

    public init() {}

    public func publish(_ userId: String, devices: [PresenceDevice]) {
        let (before, after) = table.withLock { table in
            let before = Self.aggregate(table[userId] ?? [])
            table[userId] = devices.isEmpty ? nil : devices
            return (before, Self.aggregate(devices))
        }
        guard before != after else { return }
        handler.withLock { $0 }?(PresenceChange(userId: userId, status: after, devices: devices))
    }

    public func devices(of userId: String) -> [PresenceDevice] {
        table.withLock { $0[userId] ?? [] }
    }

    public func onChange(_ handler: @escaping @Sendable (PresenceChange) -> Void) {
        self.handler.withLock { $0 = handler }
    }
}
