import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1

/// Decides on a WebSocket upgrade before the upgrade handler sees it.
///
/// Hummingbird answers every refused upgrade with a bare 400, but clients must get a 401
/// (bad token) or 400 with the usual JSON error body. So an upgrade request that would be
/// refused has its upgrade headers removed: it then runs through the HTTP router as a plain
/// GET, whose middleware answers with the proper status and body.
final class UpgradeGate: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    /// Whether the upgrade request would be accepted (credentials and device are valid).
    typealias Admission = @Sendable (HTTPRequestHead) async -> Bool

    private let admit: Admission
    private var held: [HTTPServerRequestPart]?

    init(admit: @escaping Admission) {
        self.admit = admit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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
        let admit = self.admit
        let decision = context.eventLoop.makePromise(of: Bool.self)
        decision.completeWithTask { await admit(head) }
        decision.futureResult.assumeIsolated().whenSuccess { accepted in
            var head = head
            if !accepted {
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

/// Hummingbird's HTTP/1 + WebSocket child channel with an `UpgradeGate` in front of its
/// upgrade handler.
struct GatedUpgradeChannel: ServerChildChannel {
    let inner: HTTP1WebSocketUpgradeChannel
    let admit: UpgradeGate.Admission

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<HTTP1WebSocketUpgradeChannel.Value> {
        let admit = self.admit
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            let operations = channel.pipeline.syncOperations
            let upgrader = try operations.handler(type: NIOTypedHTTPServerUpgradeHandler<HTTP1WebSocketUpgradeChannel.UpgradeResult>.self)
            try operations.addHandler(UpgradeGate(admit: admit), position: .before(upgrader))
            return value
        }
    }

    func handle(value: HTTP1WebSocketUpgradeChannel.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}
