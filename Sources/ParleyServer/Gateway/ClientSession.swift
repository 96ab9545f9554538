import NIOCore
import ParleyCore
import Synchronization

/// One device's live WebSocket session, as the rest of the node sees it: who it is, and a
/// bounded queue of frames waiting to be written.
///
/// The queue is the back-pressure point: when a client stops reading, the socket's buffers
/// fill, the writer stops, and the queue fills. A full queue cuts the connection at once
/// (the slow consumer's memory is released), instead of buffering without bound.
final class ClientSession: Sendable {
    enum Outbound: Sendable {
        case frame(ByteBuffer)
        case close(code: UInt16, reason: String)
    }

    let id: String
    let userId: String
    let deviceId: String
    let platform: String
    let authSessionId: String?
    let caller: Caller
    private let channel: any Channel
    private let queue: AsyncStream<Outbound>.Continuation
    /// What the writer drains.
    let outbound: AsyncStream<Outbound>
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
        (self.outbound, self.queue) = AsyncStream.makeStream(of: Outbound.self, bufferingPolicy: .bufferingOldest(queueLimit))
        self.lastHeard = Atomic(now)
    }

    /// Queues a frame. A session whose queue is full is cut off.
    func enqueue(_ frame: ByteBuffer) {
        if case .dropped = queue.yield(.frame(frame)) {
            cutOff()
        }
    }

    /// Writes `finalFrame` (if any), then closes with a close frame. Idempotent.
    func close(code: UInt16, reason: String, finalFrame: ByteBuffer? = nil) {
        guard !closing.exchange(true, ordering: .relaxed) else { return }
        if let finalFrame, case .dropped = queue.yield(.frame(finalFrame)) {
            cutOff()
            return
        }
        if case .dropped = queue.yield(.close(code: code, reason: reason)) {
            cutOff()
        }
    }

    /// Drops the connection without a closing handshake: for a client that does not read.
    func cutOff() {
        closing.store(true, ordering: .relaxed)
        queue.finish()
        channel.close(promise: nil)
    }

    /// Ends the writer once the connection is gone.
    func finish() {
        queue.finish()
    }

    func heard(at now: Int64) {
        lastHeard.store(now, ordering: .relaxed)
    }
}
