import Foundation
import Logging
import NIOCore
import ParleyNATS
import Synchronization

/// The cluster bus: events travel over NATS to the nodes that hold the addressed users'
/// sessions, never to every node.
///
/// - This node's own sessions get every event directly, without a round trip through NATS
///   (the node's NATS connection does not echo its own messages back).
/// - A node subscribes to `parley.user.<userId>` while it holds a session of that user. An
///   event for a few users (a private message, a receipt, a kick) is published once per
///   recipient user, and NATS hands it exactly to the nodes that asked.
/// - An event for many users (a group message, a presence change for many friends) goes once
///   per node: the presence directory says which nodes hold which recipients, and each such
///   node gets one message on `parley.node.<node>` carrying the frame and its recipients there.
/// - Membership changes go to every node (`parley.roster`); they are small and rare.
public final class NATSBus: Bus {
    /// Up to this many recipients an event goes per user subject; beyond, per node.
    public static let perUserLimit = 4

    private let client: NATSClient
    private let node: Int
    private let directory: ClusterPresenceDirectory
    private let logger: Logger
    private let sink = Mutex<(any BusSink)?>(nil)
    private let held = Mutex<[String: NATSSubscription]>([:])
    private let counts = Mutex<[String: Int]>([:])

    /// - Parameter client: a connection made with `echo: false`.
    public init(client: NATSClient, node: Int, directory: ClusterPresenceDirectory, logger: Logger) {
        self.client = client
        self.node = node
        self.directory = directory
        self.logger = logger
        _ = client.subscribe("parley.roster") { [weak self] message in
            self?.sink.withLock { $0 }?.receive(.rosterChanged(conversationId: String(buffer: message.payload)))
        }
        _ = client.subscribe("parley.profile") { [weak self] message in
            self?.sink.withLock { $0 }?.receive(.profileChanged(userId: String(buffer: message.payload)))
        }
        _ = client.subscribe(Self.nodeSubject(node)) { [weak self] message in
            guard let delivery = Self.nodeDelivery(message) else { return }
            self?.sink.withLock { $0 }?.receive(.deliver(delivery))
        }
    }

    public func attach(_ sink: any BusSink) {
        self.sink.withLock { $0 = sink }
    }

    public var published: [String: Int] { counts.withLock { $0 } }

    public func publish(_ event: BusEvent) async {
        sink.withLock { $0 }?.receive(event)
        do {
            switch event {
            case .deliver(let delivery):
                let recipients = Set(delivery.recipients)
                if recipients.count <= Self.perUserLimit {
                    let headers = ["Parley-Kind": "deliver"].merging(delivery.excludedSession.map { ["Parley-Exclude": $0] } ?? [:]) { $1 }
                    for userId in recipients { try send(Self.subject(userId), delivery.frame, headers, route: "user") }
                } else {
                    for (node, users) in directory.remoteNodes(holding: recipients) {
                        let (payload, headers) = Self.nodeMessage(users, delivery)
                        try send(Self.nodeSubject(node), payload, headers, route: "node")
                    }
                }
            case .disconnect(let order):
                try send(Self.subject(order.userId), ByteBuffer(bytes: Self.encode(order)), ["Parley-Kind": "disconnect"], route: "disconnect")
            case .rosterChanged(let conversationId):
                try send("parley.roster", ByteBuffer(string: conversationId), [:], route: "roster")
            case .profileChanged(let userId):
                try send("parley.profile", ByteBuffer(string: userId), [:], route: "profile")
            }
        } catch {
            // The store is the source of truth: a lost live event is repaired by the client's sync.
            logger.warning("event not published", metadata: ["error": "\(error)"])
        }
    }

    private func send(_ subject: String, _ payload: ByteBuffer, _ headers: [String: String], route: String) throws {
        try client.publish(subject, payload: payload, headers: headers)
        counts.withLock { $0[route, default: 0] += 1 }
    }

    public func holds(_ userId: String, _ holding: Bool) {
        if holding {
            let subscription: NATSSubscription? = held.withLock { all in
                guard all[userId] == nil else { return nil }
                let subscription = client.subscribe(Self.subject(userId)) { [weak self] message in
                    guard let event = Self.event(for: userId, message) else { return }
                    self?.sink.withLock { $0 }?.receive(event)
                }
                all[userId] = subscription
                return subscription
            }
            _ = subscription
        } else if let subscription = held.withLock({ $0.removeValue(forKey: userId) }) {
            client.unsubscribe(subscription)
        }
    }

    static func subject(_ userId: String) -> String { "parley.user." + userId }
    static func nodeSubject(_ node: Int) -> String { "parley.node.\(node)" }

    static func event(for userId: String, _ message: NATSMessage) -> BusEvent? {
        switch message.headers["Parley-Kind"] {
        case "deliver":
            return .deliver(Delivery(recipients: [userId], excludedSession: message.headers["Parley-Exclude"], frame: message.payload))
        case "disconnect":
            return decode(Data(message.payload.readableBytesView)).map(BusEvent.disconnect)
        default:
            return nil
        }
    }

    /// A delivery for one node: the recipients it holds (newline-separated, their byte count
    /// in a header), then the frame.
    static func nodeMessage(_ users: [String], _ delivery: Delivery) -> (ByteBuffer, [String: String]) {
        var payload = ByteBuffer()
        let count = payload.writeString(users.joined(separator: "\n"))
        payload.writeImmutableBuffer(delivery.frame)
        var headers = ["Parley-Recipients-Bytes": String(count)]
        if let excluded = delivery.excludedSession { headers["Parley-Exclude"] = excluded }
        return (payload, headers)
    }

    static func nodeDelivery(_ message: NATSMessage) -> Delivery? {
        var payload = message.payload
        guard let count = message.headers["Parley-Recipients-Bytes"].flatMap(Int.init), count >= 0,
            let list = payload.readString(length: count)
        else { return nil }
        return Delivery(
            recipients: list.split(separator: "\n").map(String.init), excludedSession: message.headers["Parley-Exclude"], frame: payload)
    }

    private struct WireDisconnect: Codable {
        var userId: String
        var deviceId: String?
        var authSessionId: String?
        var sparedSession: String?
        var finalFrame: Data?
        var closeCode: UInt16
        var reason: String
    }

    static func encode(_ order: Disconnect) -> Data {
        let wire = WireDisconnect(
            userId: order.userId, deviceId: order.deviceId, authSessionId: order.authSessionId, sparedSession: order.sparedSession,
            finalFrame: order.finalFrame.map { Data($0.readableBytesView) }, closeCode: order.closeCode, reason: order.reason)
        return (try? JSONEncoder().encode(wire)) ?? Data()
    }

    static func decode(_ data: Data) -> Disconnect? {
        guard let wire = try? JSONDecoder().decode(WireDisconnect.self, from: data) else { return nil }
        return Disconnect(
            userId: wire.userId, deviceId: wire.deviceId, authSessionId: wire.authSessionId, sparedSession: wire.sparedSession,
            finalFrame: wire.finalFrame.map { ByteBuffer(bytes: $0) }, closeCode: wire.closeCode, reason: wire.reason)
    }
}
