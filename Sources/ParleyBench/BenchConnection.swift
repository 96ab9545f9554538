import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// One raw WebSocket session of the load generator, as a NIO channel: frames in go to a
/// handler on the event loop, frames out are written directly. No reliability layer and no
/// task per connection: the generator measures the server, and holds many sessions cheaply.
final class BenchConnection: Sendable {
    private let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    /// Opens a session and returns once its `connected` frame arrived. `onFrame` runs for every
    /// text frame, in order, on the connection's event loop. With `source`, the connection
    /// leaves from that local address (127.0.0.2, … on loopback: more ports than one address has).
    static func open(
        url: String, token: String, source: String? = nil, logger: Logger, onFrame: @escaping @Sendable (String) -> Void
    ) async throws -> BenchConnection {
        guard let components = URLComponents(string: url), let host = components.host else { throw BenchError("bad URL \(url)") }
        let port = components.port ?? (components.scheme == "wss" ? 443 : 80)
        guard components.scheme == "ws" else { throw BenchError("the generator speaks ws:// only") }
        let target = components.percentEncodedPath + (components.percentEncodedQuery.map { "?" + $0 } ?? "")
        var bootstrap = ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(10))
        if let source { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: source, port: 0)) }
        let (channel, connected) = try await bootstrap.connect(host: host, port: port) { channel in
            channel.eventLoop.makeCompletedFuture {
                let connected = channel.eventLoop.makePromise(of: Void.self)
                var headers = HTTPHeaders()
                headers.add(name: "Host", value: "\(host):\(port)")
                headers.add(name: "Authorization", value: "Bearer \(token)")
                headers.add(name: "Content-Length", value: "0")
                let upgrader = NIOTypedWebSocketClientUpgrader<Void>(maxFrameSize: 16 << 20) { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(FrameReader(connected: connected, onFrame: onFrame))
                    }
                }
                var configuration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: .init(
                    upgradeRequestHead: HTTPRequestHead(version: .http1_1, method: .GET, uri: target, headers: headers),
                    upgraders: [upgrader],
                    notUpgradingCompletionHandler: { channel in channel.eventLoop.makeFailedFuture(BenchError("upgrade refused")) }))
                // The first frames may arrive with the 101 answer: keep them.
                configuration.leftOverBytesStrategy = .forwardBytes
                let upgraded = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: configuration)
                upgraded.cascadeFailure(to: connected)
                return (channel, connected.futureResult)
            }
        }
        do {
            try await connected.get()
        } catch {
            channel.close(promise: nil)
            throw error
        }
        return BenchConnection(channel: channel)
    }

    /// Writes a text frame (masked, as a client must).
    func send(_ text: String) {
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: channel.allocator.buffer(string: text))
        channel.writeAndFlush(frame, promise: nil)
    }

    func close() {
        channel.close(promise: nil)
    }
}

/// Hands text frames to the scenario; the first one (`connected`) completes the open.
private final class FrameReader: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let connected: EventLoopPromise<Void>
    private let onFrame: @Sendable (String) -> Void
    private var opened = false

    init(connected: EventLoopPromise<Void>, onFrame: @escaping @Sendable (String) -> Void) {
        self.connected = connected
        self.onFrame = onFrame
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            if !opened {
                opened = true
                connected.succeed()
            }
            onFrame(String(buffer: frame.unmaskedData))
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !opened { connected.fail(BenchError("connection closed before `connected`")) }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !opened { connected.fail(error) }
        context.close(promise: nil)
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
