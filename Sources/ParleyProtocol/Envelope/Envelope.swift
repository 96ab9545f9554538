import Foundation

/// The version string every server frame carries in `version`.
public let protocolVersion = "1.0"

/// One server → client frame: `{type, version, messageId, timestamp, requestId?, data}`.
///
/// `requestId` is echoed from the request it answers and omitted otherwise.
public struct Envelope<Payload: Encodable & Sendable>: Encodable, Sendable {
    public var type: FrameType
    public var version: String = protocolVersion
    public var messageId: String
    public var timestamp: Int64
    public var requestId: String?
    public var data: Payload

    public init(type: FrameType, messageId: String, timestamp: Int64, requestId: String? = nil, data: Payload) {
        self.type = type
        self.messageId = messageId
        self.timestamp = timestamp
        self.requestId = requestId
        self.data = data
    }
}

/// A frame with no payload fields; encodes as `{}`.
public struct EmptyPayload: Codable, Sendable, Equatable {
    public init() {}
}

/// The `type` of a frame, as it appears on the wire.
public struct FrameType: RawRepresentable, Codable, Hashable, Sendable, ExpressibleByStringLiteral {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public static let connected: FrameType = "connected"
    public static let message: FrameType = "message"
    public static let ack: FrameType = "ack"
    public static let notification: FrameType = "notification"
    public static let typing: FrameType = "typing"
    public static let sync: FrameType = "sync"
    public static let history: FrameType = "history"
    public static let recall: FrameType = "recall"
    public static let presence: FrameType = "presence"
    public static let ping: FrameType = "ping"
    public static let pong: FrameType = "pong"
    public static let error: FrameType = "error"

    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
