import NIOCore
import ParleyProtocol

/// Builds server frames and encodes each once into the bytes every session receives.
public struct Frames: Sendable {
    let ids: Snowflake
    let clock: WallClock

    public init(ids: Snowflake, clock: WallClock) {
        self.ids = ids
        self.clock = clock
    }

    /// Any frame, with a fresh envelope id and the current time.
    public func frame<P: Encodable & Sendable>(_ type: FrameType, requestId: String? = nil, _ data: P) -> ByteBuffer {
        let envelope = Envelope(type: type, messageId: "evt-" + ids.next(), timestamp: clock.now(), requestId: requestId, data: data)
        return ByteBuffer(bytes: FrameCoder.encode(envelope))
    }

    /// A live `message` frame; its envelope carries the message's own id and time.
    /// Written by hand (`JSONOutput`): it is the frame sent most often.
    public func message(_ payload: MessagePayload) -> ByteBuffer {
        ByteBuffer(bytes: JSONOutput.frame(type: .message, messageId: payload.messageId, timestamp: payload.timestamp, requestId: nil) {
            payload.write(to: &$0)
        })
    }

    /// The `ack` of a send, written by hand like `message`.
    public func ack(_ ack: SendAck, requestId: String?) -> ByteBuffer {
        ByteBuffer(bytes: JSONOutput.frame(type: .ack, messageId: "evt-" + ids.next(), timestamp: clock.now(), requestId: requestId) {
            ack.write(to: &$0)
        })
    }

    /// A `notification` frame.
    public func notification(_ payload: NotificationPayload) -> ByteBuffer {
        frame(.notification, payload)
    }

    /// An `error` frame.
    public func error(_ error: ChatError, requestId: String?) -> ByteBuffer {
        frame(.error, requestId: requestId, error.payload)
    }

    /// The `kicked` notification sent before a session is closed by the server.
    public func kicked(reason: String, message: String) -> ByteBuffer {
        notification(NotificationPayload(
            notificationType: NotificationType.kicked, title: "Signed out", content: message, actionType: "none",
            actionData: .object(["reason": .string(reason)]), priority: "high"))
    }
}
