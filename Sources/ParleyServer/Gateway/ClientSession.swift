import NIOCore
import NIOWebSocket
import ParleyCore
import Synchronization

/// One device's live WebSocket session, as the rest of the node sees it: who it is, and how
/// frames reach it.
///
/// Frames are written straight to the session's channel (NIO moves them to its event loop),
/// with no task or queue of its own per session: an idle session costs only its connection.
/// The bound on memory is the count of frames written but not yet taken by the socket: when a
/// client stops reading, the socket's buffers fill, writes stop completing, the count reaches
/// the limit, and the connection is cut at once (the slow consumer's memory is released)
/// instead of buffering without bound.
final class ClientSession: Sendable {
    let id: String
    let userId: String
    let deviceId: String
    let platform: String
    let authSessionId: String?
    let caller: Caller
    private let channel: any Channel
    private let queueLimit: Int
    /// Frames handed to the channel whose write has not completed yet.
    private let unwritten = Atomic<Int>(0)
    /// When the client last sent anything (ms), for the idle timeout.
    let lastHeard: Atomic<Int64>
    private let closing = Atomic<Bool>(false)

    init(id: String, caller: Caller, deviceId: String, platform: String, channel: any Channel, queueLimit: Int, now: Int64) {
        self.id = id
        self.userId = caller.userId
        self.deviceId = deviceId
        self.platform = platform
        self.authSessionId = caller.authSessionId
        var caller = caller
        caller.sessionId = id
        caller.deviceId = deviceId
        self.caller = caller
        self.channel = channel
        self.queueLimit = queueLimit
        self.lastHeard = Atomic(now)
    }

    /// Writes a frame (encoded JSON) to the client. A session that is closing takes no more.
    func enqueue(_ frame: ByteBuffer) {
        guard !closing.load(ordering: .relaxed) else { return }
        write(WebSocketFrame(fin: true, opcode: .text, data: frame))
    }

    /// Writes `finalFrame` (if any), then a close frame, then drops the connection once the
    /// peer had a moment to answer the closing handshake. Idempotent.
    func close(code: UInt16, reason: String, finalFrame: ByteBuffer? = nil) {
        guard !closing.exchange(true, ordering: .relaxed) else { return }
        if let finalFrame { write(WebSocketFrame(fin: true, opcode: .text, data: finalFrame)) }
        var payload = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        payload.write(webSocketErrorCode: WebSocketErrorCode(codeNumber: Int(code)))
        payload.writeString(reason)
        let channel = self.channel
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)).whenComplete { _ in
            channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
        }
    }

    /// Drops the connection without a closing handshake: for a client that does not read.
    func cutOff() {
        closing.store(true, ordering: .relaxed)
        channel.close(promise: nil)
    }

    func heard(at now: Int64) {
        lastHeard.store(now, ordering: .relaxed)
    }

    private func write(_ frame: WebSocketFrame) {
        if unwritten.wrappingAdd(1, ordering: .relaxed).newValue > queueLimit {
            cutOff()
            return
        }
        channel.writeAndFlush(frame).whenComplete { [unwritten = self] _ in
            unwritten.unwritten.subtract(1, ordering: .relaxed)
        }
    }
}
