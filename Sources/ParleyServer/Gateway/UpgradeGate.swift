import NIOCore
import NIOHTTP1

/// Decides on a WebSocket upgrade before the upgrade handler sees it.
///
/// NIO's upgrade handler cannot hand a refused upgrade request on to HTTP (it has consumed the
/// request head), but clients must get a 401 (bad token) or 400 with the usual JSON error
/// body. So an upgrade request that would be refused has its upgrade headers removed: it then
/// runs through the HTTP router as a plain GET, whose middleware answers with the proper
/// status and body. An accepted one goes on with its identity recorded for the upgrade.
final class UpgradeGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    /// The identity of an acceptable upgrade request (credentials and device are valid), or nil.
    typealias Admission = @Sendable (HTTPRequestHead) async -> DeviceIdentity?

    private let admit: Admission
    private let admitted: NIOLoopBoundBox<DeviceIdentity?>
    private var held: [HTTPServerRequestPart]?
    /// Closes a connection whose first request does not begin in time (a client that opens
    /// sockets and sends nothing must not hold them).
    private let handshakeTimeout: TimeAmount
    private var deadline: Scheduled<Void>?

    init(admit: @escaping Admission, admitted: NIOLoopBoundBox<DeviceIdentity?>, handshakeTimeout: TimeAmount) {
        self.admit = admit
        self.admitted = admitted
        self.handshakeTimeout = handshakeTimeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: handshakeTimeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    /// Bytes that do not parse as HTTP: NIO's protocol error handler, before this one, has
    /// answered 400; nothing after this one ends the connection, so this does.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is HTTPParserError {
            context.close(promise: nil)
            return
        }
        context.fireErrorCaught(error)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        deadline?.cancel()
        deadline = nil
        let part = unwrapInboundIn(data)
        if held != nil {
            held?.append(part)
            return
        }
        guard case .head(let head) = part,
            head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "websocket" })
        else {
            // Only a connection's first request can be upgraded; after it the gate steps aside.
            context.fireChannelRead(data)
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
            return
        }
        held = []
        // A handshake NIO's upgrader would refuse loses its request there: refuse it here instead.
        let wellFormed = head.headers[canonicalForm: "sec-websocket-key"].count == 1
            && head.headers[canonicalForm: "sec-websocket-version"] == ["13"]
        let admit = self.admit
        let decision = context.eventLoop.makePromise(of: DeviceIdentity?.self)
        decision.completeWithTask { wellFormed ? await admit(head) : nil }
        decision.futureResult.assumeIsolated().whenSuccess { identity in
            var head = head
            if let identity {
                self.admitted.value = identity
            } else {
                for name in ["upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions"] {
                    head.headers.remove(name: name)
                }
            }
            let rest = self.held ?? []
            self.held = nil
            context.fireChannelRead(self.wrapInboundOut(.head(head)))
            for part in rest { context.fireChannelRead(self.wrapInboundOut(part)) }
            context.fireChannelReadComplete()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
