import NIOCore

/// Routes events to the node(s) holding the addressed users' sessions.
///
/// The domain publishes; each node attaches its gateway as the sink for events that
/// concern sessions it holds. In-process on one node (`LocalBus`); over NATS in a cluster.
public protocol Bus: Sendable {
    /// Sends an event to every node holding a session of its recipients.
    func publish(_ event: BusEvent) async
    /// Sets the receiver of this node's events. Called once, at start-up.
    func attach(_ sink: any BusSink)
    /// This node now holds sessions of `userId` (or no longer does): events for that user must
    /// reach it (or need not).
    func holds(_ userId: String, _ holding: Bool)
    /// Messages this node sent to other nodes, by route (`user`, `node`, `roster`,
    /// `disconnect`); empty on one node.
    var published: [String: Int] { get }
}

extension Bus {
    /// One node holds everything: nothing to announce.
    public func holds(_ userId: String, _ holding: Bool) {}
    public var published: [String: Int] { [:] }
}

/// What receives routed events on a node: the gateway's session registry.
public protocol BusSink: Sendable {
    func receive(_ event: BusEvent)
}

/// An event for users' sessions.
public enum BusEvent: Sendable {
    /// Write a frame to the recipients' sessions.
    case deliver(Delivery)
    /// Close matching sessions, after writing a last frame to them.
    case disconnect(Disconnect)
    /// A group's members changed: every node forgets its cached member list.
    case rosterChanged(conversationId: String)
    /// A user's profile changed (renamed, deleted): every node forgets its cached copy.
    case profileChanged(userId: String)
}

/// A frame, encoded once, for every online session of `recipients`.
public struct Delivery: Sendable {
    public var recipients: [String]
    /// A session that must not get the frame (the one that caused it).
    public var excludedSession: String?
    /// The frame's UTF-8 JSON bytes; shared, never copied per session.
    public var frame: ByteBuffer

    public init(recipients: [String], excludedSession: String? = nil, frame: ByteBuffer) {
        self.recipients = recipients
        self.excludedSession = excludedSession
        self.frame = frame
    }
}

/// An order to close sessions of one user: one device's, one login's, or all of them.
public struct Disconnect: Sendable {
    public var userId: String
    /// Only the session of this device.
    public var deviceId: String?
    /// Only sessions opened with tokens of this login.
    public var authSessionId: String?
    /// A session to spare (the one replacing the others).
    public var sparedSession: String?
    /// A last frame (`kicked`) written before the close.
    public var finalFrame: ByteBuffer?
    /// WebSocket close code and reason.
    public var closeCode: UInt16
    public var reason: String

    public init(
        userId: String, deviceId: String? = nil, authSessionId: String? = nil, sparedSession: String? = nil,
        finalFrame: ByteBuffer? = nil, closeCode: UInt16, reason: String
    ) {
        self.userId = userId
        self.deviceId = deviceId
        self.authSessionId = authSessionId
        self.sparedSession = sparedSession
        self.finalFrame = finalFrame
        self.closeCode = closeCode
        self.reason = reason
    }
}
