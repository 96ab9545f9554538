import NIOCore
import ParleyBus
import ParleyCore
import Synchronization

/// The sessions this node holds, by user. It is the node's `BusSink`: routed frames are
/// handed to each matching session's queue, already encoded.
final class SessionRegistry: BusSink {
    private let sessions = Mutex<[String: [ClientSession]]>([:])
    /// Told when this node starts or stops holding a user's sessions (cluster routing).
    private let bus: any Bus
    /// Forgets a cached group member list (another node changed the group).
    private let forgetRoster: @Sendable (String) -> Void
    private let forgetProfile: @Sendable (String) -> Void

    init(bus: any Bus, forgetRoster: @escaping @Sendable (String) -> Void, forgetProfile: @escaping @Sendable (String) -> Void = { _ in }) {
        self.forgetProfile = forgetProfile
        self.bus = bus
        self.forgetRoster = forgetRoster
    }

    /// Adds a session and returns the sessions it replaces (same user and device).
    func add(_ session: ClientSession) -> [ClientSession] {
        // The bus is told inside the lock, so a user's first session and another's removal of
        // the last one cannot reach it in the wrong order.
        sessions.withLock { all in
            var mine = all[session.userId] ?? []
            if mine.isEmpty { bus.holds(session.userId, true) }
            let replaced = mine.filter { $0.deviceId == session.deviceId }
            mine.removeAll { $0.deviceId == session.deviceId }
            mine.append(session)
            all[session.userId] = mine
            return replaced
        }
    }

    func remove(_ session: ClientSession) {
        sessions.withLock { all in
            guard var mine = all[session.userId] else { return }
            mine.removeAll { $0 === session }
            all[session.userId] = mine.isEmpty ? nil : mine
            if mine.isEmpty { bus.holds(session.userId, false) }
        }
    }

    /// The sessions of one user on this node.
    func sessions(of userId: String) -> [ClientSession] {
        sessions.withLock { $0[userId] ?? [] }
    }

    /// Every session on this node.
    func all() -> [ClientSession] {
        sessions.withLock { Array($0.values.joined()) }
    }

    /// Sessions on this node, and the users they belong to.
    var counts: (sessions: Int, users: Int) {
        sessions.withLock { all in (all.values.reduce(0) { $0 + $1.count }, all.count) }
    }

    func receive(_ event: BusEvent) {
        switch event {
        case .deliver(let delivery):
            // One lock for the whole recipient list (a group may have thousands); the frame
            // is then posted once per event loop, not once per session.
            var byLoop: [ObjectIdentifier: (LoopOutbox, [ClientSession])] = [:]
            let excluded = delivery.excludedSession.flatMap { UInt64($0) }
            sessions.withLock { all in
                for userId in delivery.recipients {
                    for session in all[userId] ?? [] where session.serial != excluded {
                        byLoop[ObjectIdentifier(session.outbox), default: (session.outbox, [])].1.append(session)
                    }
                }
            }
            for (outbox, targets) in byLoop.values {
                outbox.post(delivery.frame, to: targets)
            }
        case .rosterChanged(let conversationId):
            forgetRoster(conversationId)
        case .profileChanged(let userId):
            forgetProfile(userId)
        case .disconnect(let order):
            for session in sessions(of: order.userId) where Self.matches(session, order) {
                session.close(code: order.closeCode, reason: order.reason, finalFrame: order.finalFrame)
            }
        }
    }

    private static func matches(_ session: ClientSession, _ order: Disconnect) -> Bool {
        if session.id == order.sparedSession { return false }
        if let deviceId = order.deviceId, session.deviceId != deviceId { return false }
        if let sid = order.authSessionId, session.authSessionId != sid { return false }
        return true
    }
}
