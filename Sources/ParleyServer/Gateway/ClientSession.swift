import NIOCore
import NIOWebSocket
import ParleyCore
import Synchronization

/// One device's live WebSocket session, as the rest of the node sees it: who it is, and how
/// frames reach it.
///
/// Frames go through the `LoopOutbox` of the session's event loop, with no task or queue of
/// its own per session: an idle session costs only its connection. The bound on memory is the
/// count and the bytes of frames written but not yet taken by the socket: when a client stops
/// reading, the socket's buffers fill, writes stop completing, the count or the bytes reach
/// their limit, and the connection is cut at once (the slow consumer's memory is released)
/// instead of buffering without bound. Counting bytes matters: a thousand 200 KB history pages
/// are within any frame count.
final class ClientSession: Sendable {
    let id: String
    /// `id` as a number (session ids are Snowflakes), for cheap comparisons in fanout.
    let serial: UInt64
    let userId: String
    let deviceId: String
    let platform: String
    let authSessionId: String?
    let caller: Caller
    private let channel: any Channel
    let outbox: LoopOutbox
    /// permessage-deflate, when the client negotiated it.
    let deflate: Deflate?
    let metrics: NodeMetrics
    private let queueLimit: Int
    private let byteLimit: Int
    /// Frames handed to the channel whose write has not completed yet, and their bytes.
    private let unwritten = Atomic<Int>(0)
    private let unwrittenBytes = Atomic<Int>(0)

    /// Frames queued for this session and not yet taken by the socket.
    var queueDepth: Int { unwritten.load(ordering: .relaxed) }
    /// When the client last sent anything (ms), for the idle timeout.
    let lastHeard: Atomic<Int64>
    private let closing = Atomic<Bool>(false)
    /// The frames of the outbox batch being written (touched only on the event loop): all but
    /// the last are written at once; the last is written with a promise and a flush, and its
    /// completion accounts for the whole batch (writes complete in order).
    private struct Batch {
        var last: ByteBuffer?
        var count = 0
        var bytes = 0
    }
    private let batch = Mutex(Batch())
    /// The WebSocket frame encoder's pipeline context, looked up on the loop at first write.
    private let encoderContext: NIOLoopBoundBox<ChannelHandlerContext?>

    init(
        id: String, caller: Caller, deviceId: String, platform: String, channel: any Channel, outboxes: Outboxes,
        queueLimit: Int, byteLimit: Int = .max, now: Int64, deflate: Deflate? = nil, metrics: NodeMetrics
    ) {
        self.byteLimit = byteLimit
        self.deflate = deflate
        self.metrics = metrics
        self.id = id
        self.serial = UInt64(id) ?? 0
        self.userId = caller.userId
        self.deviceId = deviceId
        self.platform = platform
        self.authSessionId = caller.authSessionId
        var caller = caller
        caller.sessionId = id
        caller.deviceId = deviceId
        self.caller = caller
        self.channel = channel
        self.outbox = outboxes.outbox(for: channel.eventLoop)
        self.encoderContext = NIOLoopBoundBox.makeEmptyBox(valueType: ChannelHandlerContext.self, eventLoop: channel.eventLoop)
        self.queueLimit = queueLimit
        self.lastHeard = Atomic(now)
    }

    /// Writes a frame (encoded JSON) to the client, after those queued before it. A session
    /// that is closing takes no more.
    func enqueue(_ frame: ByteBuffer) {
        guard !closing.load(ordering: .relaxed) else { return }
        outbox.post(frame, to: [self])
    }

    /// On the event loop: adds a wire frame (`WireFrame`) to the current batch. True when it
    /// is the batch's first frame (the outbox then flushes this session at the end of the batch).
    func stage(_ wire: ByteBuffer, isMessage: Bool = false) -> Bool {
        guard !closing.load(ordering: .relaxed) else { return false }
        // The frames of this batch leave in one flush: they are not frames the client left
        // unread, so the frame limit counts only what earlier flushes still wait to write (a
        // writer commit that acks 50 pipelined sends at once must not cut off a client that
        // reads; the byte limit still bounds a batch).
        let staged = batch.withLock { $0.count }
        if !reserve(bytes: wire.readableBytes, sameFlushAs: staged) { return false }
        metrics.framesDelivered.add()
        if isMessage { metrics.messagesDelivered.add() }
        let (previous, first) = batch.withLock { batch -> (ByteBuffer?, Bool) in
            let previous = batch.last
            batch.last = wire
            batch.count += 1
            batch.bytes += wire.readableBytes
            return (previous, batch.count == 1)
        }
        if let previous { writeWire(previous, promise: nil) }
        return first
    }

    /// On the event loop: writes the batch's last frame and flushes.
    func flushStaged() {
        let (last, count, bytes) = batch.withLock { batch -> (ByteBuffer?, Int, Int) in
            defer { batch = Batch() }
            return (batch.last, batch.count, batch.bytes)
        }
        guard let last, !closing.load(ordering: .relaxed) else { return }
        let promise = channel.eventLoop.makePromise(of: Void.self)
        writeWire(last, promise: promise)
        encoderContext.value?.flush() ?? channel.flush()
        promise.futureResult.whenComplete { [self] _ in
            self.unwritten.subtract(count, ordering: .relaxed)
            self.unwrittenBytes.subtract(bytes, ordering: .relaxed)
        }
    }

    /// On the event loop: writes encoded frame bytes just below the WebSocket frame encoder,
    /// so the frame is not wrapped, encoded and copied again for every session.
    private func writeWire(_ wire: ByteBuffer, promise: EventLoopPromise<Void>?) {
        if encoderContext.value == nil {
            encoderContext.value = try? channel.pipeline.syncOperations.context(handlerType: WebSocketFrameEncoder.self)
        }
        if let context = encoderContext.value {
            context.write(NIOAny(wire), promise: promise)
        } else {
            // No encoder (the pipeline is being torn down): the write fails like any other.
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
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

    /// Whether the session is closing (a close frame went out, or the connection is cut).
    var isClosing: Bool { closing.load(ordering: .relaxed) }

    /// The client closed: answers with its close frame's payload (code and reason), then
    /// drops the connection.
    func closeNow(echoing payload: ByteBuffer) {
        guard !closing.exchange(true, ordering: .relaxed) else { return }
        var echo = ByteBuffer()
        if let code = payload.getInteger(at: payload.readerIndex, as: UInt16.self) { echo.writeInteger(code) }
        let channel = self.channel
        channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: echo)).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    /// Reads the socket again after the session's inbox made it pause.
    func resumeReading() {
        channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
    }

    /// Drops the connection without a closing handshake: for a client that does not read.
    func cutOff() {
        if !closing.exchange(true, ordering: .relaxed) { metrics.slowConsumerCutoffs.add() }
        channel.close(promise: nil)
    }

    func heard(at now: Int64) {
        lastHeard.store(now, ordering: .relaxed)
    }

    private func write(_ frame: WebSocketFrame) {
        let bytes = frame.data.readableBytes
        if !reserve(bytes: bytes) { return }
        channel.writeAndFlush(frame).whenComplete { [self] _ in
            self.unwritten.subtract(1, ordering: .relaxed)
            self.unwrittenBytes.subtract(bytes, ordering: .relaxed)
        }
    }

    /// Counts a frame of `bytes` as waiting; false (and the connection cut) past either limit.
    /// The byte limit is on what waits before this frame: one large reply (a full history or
    /// sync page) to a client that reads is never a reason to cut it off.
    /// `sameFlushAs`: frames already staged for the same flush as this one (not counted).
    private func reserve(bytes: Int, sameFlushAs staged: Int = 0) -> Bool {
        let frames = unwritten.wrappingAdd(1, ordering: .relaxed).newValue
        let waitingBefore = unwrittenBytes.wrappingAdd(bytes, ordering: .relaxed).newValue - bytes
        guard frames - staged > queueLimit || waitingBefore >= byteLimit else { return true }
        cutOff()
        return false
    }
}
