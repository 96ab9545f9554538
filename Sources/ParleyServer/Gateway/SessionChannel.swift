import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket

/// A connection to the node: HTTP/1 for the API, upgraded to a WebSocket session on `/v1/ws`.
///
/// The upgrade is decided before it happens (token, device, path), and the identity found
/// then is the session's: no second authentication. A refused upgrade is served as a plain
/// HTTP request, so the router answers it with the usual status and JSON error body.
///
/// An upgraded connection is run by a `SessionHandler` in the channel pipeline, not by a
/// task: the connection's task ends at the upgrade, and an idle session holds no suspended
/// task (their stacks were two thirds of an idle session's memory, docs/benchmarks.md §1).
struct SessionChannel: ServerChildChannel, HTTPChannelHandler {
    enum Upgrade: Sendable {
        case session
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
    }

    struct Value: ServerChildChannelValue {
        let upgrade: EventLoopFuture<Upgrade>
        let channel: any Channel
    }

    let responder: HTTPChannelHandler.Responder
    let http1: HTTP1Channel.Configuration
    /// The identity of an acceptable upgrade request, nil to refuse it.
    let admit: UpgradeGate.Admission
    /// Builds the session handler of an accepted upgrade (on the channel's event loop).
    let open: @Sendable (DeviceIdentity, Deflate?, any Channel) throws -> SessionHandler
    /// Frames above this close the connection (1009).
    let maxFrameSize: Int
    /// How long a new connection may take to begin its first request.
    let handshakeTimeout: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            // The gate records the identity of an accepted upgrade request for the upgrader.
            let admitted = NIOLoopBoundBox<DeviceIdentity?>(nil, eventLoop: channel.eventLoop)
            // What the answer agreed on (permessage-deflate), for the session.
            let negotiated = NIOLoopBoundBox<Deflate?>(nil, eventLoop: channel.eventLoop)
            let upgrader = NIOTypedWebSocketServerUpgrader<Upgrade>(
                maxFrameSize: maxFrameSize,
                shouldUpgrade: { channel, head in
                    guard admitted.value != nil else { return channel.eventLoop.makeSucceededFuture(nil) }
                    var headers = HTTPHeaders()
                    let offers = head.headers[canonicalForm: "sec-websocket-extensions"]
                    if !offers.isEmpty, let deflate = Deflate(offer: offers.joined(separator: ",")) {
                        negotiated.value = deflate
                        headers.add(name: "Sec-WebSocket-Extensions", value: deflate.responseHeader)
                    }
                    return channel.eventLoop.makeSucceededFuture(headers)
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        guard let identity = admitted.value else { throw ChannelError.inappropriateOperationForState }
                        try channel.pipeline.syncOperations.addHandler(try open(identity, negotiated.value, channel))
                        return Upgrade.session
                    }
                })
            var configuration = NIOUpgradableHTTPServerPipelineConfiguration<Upgrade>(
                upgradeConfiguration: NIOTypedHTTPServerUpgradeConfiguration(
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            let operations = channel.pipeline.syncOperations
                            try operations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                            try operations.addHandlers(http1.additionalChannelHandlers())
                            try operations.addHandler(HTTPConnectionStateHandler(idleTimeout: http1.idleTimeout.map { .init($0) }, logger: logger))
                            return Upgrade.http(try NIOAsyncChannel(
                                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)))
                        }
                    }))
            configuration.enablePipelining = false  // NIOAsyncChannel reads one request at a time
            // Bytes that do not parse as HTTP never reach Hummingbird: NIO's protocol error
            // handler answers them with a 400 and closes, instead of a silent close.
            configuration.enableErrorHandling = true
            configuration.enableResponseHeaderValidation = false  // swift-http-types validates
            let operations = channel.pipeline.syncOperations
            let upgrade = try operations.configureUpgradableHTTPServerPipeline(configuration: configuration)
            let upgradeHandler = try operations.handler(type: NIOTypedHTTPServerUpgradeHandler<Upgrade>.self)
            try operations.addHandler(
                UpgradeGate(admit: admit, admitted: admitted, handshakeTimeout: handshakeTimeout), position: .before(upgradeHandler))
            return Value(upgrade: upgrade, channel: channel)
        }
    }

    func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.upgrade.get() {
            case .session:
                // The pipeline runs the session from here; this task ends.
                return
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            }
        } catch {
            // Also the end of a connection whose first bytes were not HTTP (answered 400 above).
            logger.trace("connection ended before its first request", metadata: ["error": "\(error)"])
            value.channel.close(promise: nil)
        }
    }
}
