import Foundation
import Logging
import NIOCore
import ParleyNATS
import Synchronization

/// The cluster bus: events travel over NATS to the nodes that hold the addressed users'
/// sessions. A node subscribes to `parley.user.<userId>` while it holds a session of that user,
/// so an event is published once per recipient user and NATS hands it only to the nodes that
/// asked (no broadcast of every event to every node). Membership changes go to every node
/// (`parley.roster`), which is small and rare.
public final class NATSBus: Bus {
    private let client: NATSClient
    private let logger: Logger
    private let sink = Mutex<(any BusSink)?>(nil)
    private let held = Mutex<[String: NATSSubscription]>([:])

    public init(client: NATSClient, logger: Logger) {
        self.client = client
        self.logger = logger
        _ = client.subscribe("parley.roster") { [weak self] message in
            self?.sink.withLock { $0 }?.receive(.rosterChanged(conversationId: String(buffer: message.payload)))
        }
    }

    public func attach(_ sink: any BusSink) {
        self.sink.withLock { $0 = sink }
    }

    public func publish(_ event: BusEvent) async {
        do {
            switch event {
            case .deliver(let delivery):
                let headers = delivery.excludedSession.map { ["Parley-Exclude": $0] } ?? [:]
                for userId in Set(delivery.recipients) {
                    try client.publish(Self.subject(userId), payload: delivery.frame, headers: headers.merging(["Parley-Kind": "deliver"]) { $1 })
                }
            case .disconnect(let order):
                try client.publish(Self.subject(order.userId), payload: ByteBuffer(bytes: Self.encode(order)), headers: ["Parley-Kind": "disconnect"])
            case .rosterChanged(let conversationId):
                try client.publish("parley.roster", payload: ByteBuffer(string: conversationId))
            }
        } catch {
            // The store is the source of truth: a lost live event is repaired by the client's sync.
            logger.warning("event not published", metadata: ["error": "\(error)"])
        }
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
