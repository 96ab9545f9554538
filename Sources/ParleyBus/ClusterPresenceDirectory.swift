import Foundation
import Logging
import NIOCore
import ParleyNATS
import Synchronization

/// The cluster's presence: a JetStream key-value bucket with a max age, mirrored in memory on
/// every node.
///
/// Each node writes only its own keys: `u.<userId>.<node>` (its devices of that user; an empty
/// list when it has none left) and `n.<node>` (alive). It rewrites all of them every heartbeat
/// (a third of the max age), so the keys of a node that dies age out of the bucket, and the
/// mirrors drop entries not refreshed within the max age: a dead node's sessions expire by
/// themselves. The mirror is loaded from the bucket at start and kept current by subscribing
/// to the bucket's subjects.
///
/// Exactly one live node announces each user's status changes (chosen by a hash of the user
/// id over the live nodes), so friends hear of a change once, even of one caused by a node's death.
public final class ClusterPresenceDirectory: PresenceDirectory {
    public static let bucket = "parley_presence"
    private static let prefix = "$KV.\(bucket)."

    private struct Entry {
        var devices: [PresenceDevice]
        var refreshed: ContinuousClock.Instant
    }

    private struct State {
        /// Every node's devices, by user, then node (this node's included).
        var users: [String: [Int: Entry]] = [:]
        /// Live nodes and when each was last heard of.
        var nodes: [Int: ContinuousClock.Instant] = [:]
        /// This node's devices, by user: the keys it refreshes.
        var own: [String: [PresenceDevice]] = [:]
        var handler: (@Sendable (PresenceChange) -> Void)?
    }

    private let jetStream: JetStream
    private let node: Int
    private let maxAge: Duration
    private let logger: Logger
    private let state = Mutex(State())
    /// This process, in the liveness key (a restarted node is another instance).
    private let instance = UUID().uuidString
    /// Set by `leave`: no heartbeat may write the liveness key again after it was emptied (the
    /// heartbeat service outlives the drain by a moment, and its beat made a successor wait).
    /// Held while the liveness key is written, so a beat cannot slip in after the leave.
    private let left = Mutex(false)

    public init(jetStream: JetStream, node: Int, maxAge: Duration, logger: Logger) {
        self.jetStream = jetStream
        self.node = node
        self.maxAge = maxAge
        self.logger = logger
    }

    /// Creates the bucket, makes sure no running node has this node id, loads the mirror and
    /// announces this node. Keys this node left behind in an earlier life (it crashed) are
    /// cleared, so those sessions end now.
    public func start() async throws {
        try await jetStream.ensureBucket(Self.bucket, maxAge: maxAge)
        try await claimNodeId()
        _ = jetStream.client.subscribe(Self.prefix + ">") { [weak self] message in
            self?.received(key: String(message.subject.dropFirst(Self.prefix.count)), message.payload)
        }
        let snapshot: [(key: String, value: ByteBuffer)]
        do {
            snapshot = try await jetStream.lastValues(bucket: Self.bucket)
        } catch {
            // The other nodes rewrite their keys every heartbeat: the mirror fills by itself.
            logger.warning("presence snapshot not read; the mirror fills within one heartbeat", metadata: ["error": "\(error)"])
            snapshot = []
        }
        for (key, value) in snapshot {
            if case .user(let userId, node) = Key(key), !Self.decode(value).isEmpty {
                try jetStream.client.publish(Self.subject(.user(userId, node)), payload: Self.encode([]))
                continue
            }
            received(key: key, value)
        }
        state.withLock { $0.nodes[node] = .now }
        try jetStream.client.publish(Self.subject(.node(node)), payload: beat())
    }

    /// Two running nodes with one node id would mint the same message ids: refuse to start if
    /// the id's heartbeat is still being refreshed. A key that stops changing belongs to a node
    /// that died (its successor waits one heartbeat to see that); one that left cleanly is empty.
    private func claimNodeId() async throws {
        guard let first = try await jetStream.get(bucket: Self.bucket, key: "n.\(node)"), first.readableBytes > 0 else { return }
        logger.notice("node id \(node) was in use moments ago; checking that its holder is gone")
        try await Task.sleep(for: maxAge / 3 + .seconds(1))
        if let second = try await jetStream.get(bucket: Self.bucket, key: "n.\(node)"), second.readableBytes > 0, second != first {
            throw NodeIdInUse(node: node)
        }
    }

    /// This node is leaving (graceful shutdown): the others drop it now, and a successor with
    /// its id need not wait.
    public func leave() async {
        left.withLock { left in
            left = true
            try? jetStream.client.publish(Self.subject(.node(node)), payload: ByteBuffer())
        }
        try? await jetStream.client.flush(timeout: .seconds(2))
    }

    /// The value of this node's liveness key: it changes with every heartbeat.
    private func beat() -> ByteBuffer {
        ByteBuffer(string: "\(instance) \(Int64(Date().timeIntervalSince1970 * 1000))")
    }

    /// Refreshes this node's keys and expires what others stopped refreshing, every third of
    /// the max age, until cancelled.
    public func heartbeat() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: maxAge / 3)
            refresh()
        }
    }

    // MARK: PresenceDirectory

    public func publish(_ userId: String, devices: [PresenceDevice]) {
        let change = state.withLock { state in
            if devices.isEmpty { state.own[userId] = nil } else { state.own[userId] = devices }
            return Self.apply(&state, userId: userId, node: node, devices: devices, self: node)
        }
        do {
            try jetStream.client.publish(Self.subject(.user(userId, node)), payload: Self.encode(devices))
        } catch {
            logger.warning("presence not published; the next heartbeat repairs it", metadata: ["error": "\(error)"])
        }
        if let change { announce(change) }
    }

    public func devices(of userId: String) -> [PresenceDevice] {
        state.withLock { Self.all($0, userId) }
    }

    public func onChange(_ handler: @escaping @Sendable (PresenceChange) -> Void) {
        state.withLock { $0.handler = handler }
    }

    /// The other nodes holding sessions of each of `userIds`, with the users each holds.
    public func remoteNodes(holding userIds: some Sequence<String>) -> [Int: [String]] {
        state.withLock { state in
            var byNode: [Int: [String]] = [:]
            for userId in userIds {
                for (holder, entry) in state.users[userId] ?? [:] where holder != node && !entry.devices.isEmpty {
                    byNode[holder, default: []].append(userId)
                }
            }
            return byNode
        }
    }

    // MARK: The mirror

    private enum Key: Equatable {
        case user(String, Int)
        case node(Int)

        init?(_ key: String) {
            let parts = key.split(separator: ".", omittingEmptySubsequences: false)
            switch (parts.first, parts.count) {
            case ("u", 3): guard let node = Int(parts[2]) else { return nil }; self = .user(String(parts[1]), node)
            case ("n", 2): guard let node = Int(parts[1]) else { return nil }; self = .node(node)
            default: return nil
            }
        }
    }

    private static func subject(_ key: Key) -> String {
        switch key {
        case .user(let userId, let node): prefix + "u.\(userId).\(node)"
        case .node(let node): prefix + "n.\(node)"
        }
    }

    private func received(key text: String, _ value: ByteBuffer) {
        guard let key = Key(text) else { return }
        let change: PresenceChange? = state.withLock { state in
            switch key {
            case .node(let other):
                // An empty value: the node left.
                state.nodes[other] = value.readableBytes == 0 ? nil : .now
                return nil
            case .user(let userId, let holder):
                guard holder != node else { return nil }  // this node's own keys are applied when written
                state.nodes[holder] = .now
                return Self.apply(&state, userId: userId, node: holder, devices: Self.decode(value), self: node)
            }
        }
        if let change { announce(change) }
    }

    /// Sets one node's devices of a user; the change of the user's aggregate status, when this
    /// node is the one to announce it.
    private static func apply(_ state: inout State, userId: String, node: Int, devices: [PresenceDevice], self me: Int) -> PresenceChange? {
        let before = aggregate(all(state, userId))
        if devices.isEmpty {
            state.users[userId]?[node] = nil
            if state.users[userId]?.isEmpty == true { state.users[userId] = nil }
        } else {
            state.users[userId, default: [:]][node] = Entry(devices: devices, refreshed: .now)
        }
        let now = all(state, userId)
        let after = aggregate(now)
        guard before != after, announcer(of: userId, among: state.nodes.keys, self: me) == me else { return nil }
        return PresenceChange(userId: userId, status: after, devices: now)
    }

    private static func all(_ state: State, _ userId: String) -> [PresenceDevice] {
        (state.users[userId] ?? [:]).sorted { $0.key < $1.key }.flatMap(\.value.devices)
    }

    /// The live node that announces a user's changes: a stable hash of the id over the live nodes.
    static func announcer(of userId: String, among nodes: some Collection<Int>, self me: Int) -> Int {
        let live = Set(nodes).union([me]).sorted()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a: stable across processes, unlike `Hasher`
        for byte in userId.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return live[Int(hash % UInt64(live.count))]
    }

    private func refresh() {
        let (own, expired) = state.withLock { state -> ([String: [PresenceDevice]], [PresenceChange]) in
            state.nodes[node] = .now
            let deadline = ContinuousClock.now - maxAge
            state.nodes = state.nodes.filter { $0.value > deadline }
            var changes: [PresenceChange] = []
            for (userId, entries) in state.users {
                for (holder, entry) in entries where holder != node && entry.refreshed < deadline {
                    if let change = Self.apply(&state, userId: userId, node: holder, devices: [], self: node) { changes.append(change) }
                }
            }
            return (state.own, changes)
        }
        do {
            let gone = try left.withLock { left -> Bool in
                if !left { try jetStream.client.publish(Self.subject(.node(node)), payload: beat()) }
                return left
            }
            if gone { return }
            for (userId, devices) in own {
                try jetStream.client.publish(Self.subject(.user(userId, node)), payload: Self.encode(devices))
            }
        } catch {
            logger.warning("presence heartbeat not published", metadata: ["error": "\(error)"])
        }
        for change in expired { announce(change) }
    }

    private func announce(_ change: PresenceChange) {
        state.withLock { $0.handler }?(change)
    }

    private static func encode(_ devices: [PresenceDevice]) -> ByteBuffer {
        ByteBuffer(bytes: (try? JSONEncoder().encode(devices)) ?? Data("[]".utf8))
    }

    private static func decode(_ value: ByteBuffer) -> [PresenceDevice] {
        (try? JSONDecoder().decode([PresenceDevice].self, from: Data(value.readableBytesView))) ?? []
    }
}

/// Another running node has this node's id.
public struct NodeIdInUse: Error, CustomStringConvertible {
    public var node: Int
    public var description: String { "node id \(node) is in use by another running node: give every node its own --node-id" }
}
