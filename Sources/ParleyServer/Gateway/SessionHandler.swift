import NIOCore
import NIOWebSocket
import ParleyCore

/// Runs one WebSocket session on its channel's event loop: reassembles and inflates client
/// messages, answers pings and the closing handshake, and hands text messages to the
/// session's `SessionInbox`, whose task (started on demand) turns them into domain calls.
/// Nothing waits while the session is idle: no task, no buffer.
final class SessionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    let session: ClientSession
    private let gateway: Gateway
    private let inbox: SessionInbox
    /// The largest message accepted, compressed or not, fragments together (beyond: close 1009).
    private let maxMessageBytes: Int
    /// A message arriving in fragments: its opcode, whether it is compressed, its bytes so far.
    private var partial: (opcode: WebSocketOpcode, compressed: Bool, data: ByteBuffer)?
    /// The session's start (presence, the other nodes told): its end waits for it.
    private var opening: Task<Void, Never>?

    init(session: ClientSession, gateway: Gateway, maxMessageBytes: Int) {
        self.session = session
        self.gateway = gateway
        self.maxMessageBytes = maxMessageBytes
        self.inbox = SessionInbox(limits: SessionLimits(configuration: gateway.configuration, now: gateway.chat.clock.now()))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        opening = gateway.opened(session)
    }

    func channelInactive(context: ChannelHandlerContext) {
        inbox.discard()
        gateway.closed(session, after: opening)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        session.heard(at: gateway.chat.clock.now())
        // A closing session only waits for the client's close frame.
        if session.isClosing && frame.opcode != .connectionClose { return }
        switch frame.opcode {
        case .text, .binary:
            guard partial == nil else { return refuse(CloseCodes.protocolError, "a new message began inside a fragmented one") }
            if frame.fin {
                receive(frame.opcode, compressed: frame.rsv1, frame.unmaskedData, context: context)
            } else {
                partial = (frame.opcode, frame.rsv1, frame.unmaskedData)
            }
        case .continuation:
            guard var message = partial else { return refuse(CloseCodes.protocolError, "a continuation without a message") }
            var data = frame.unmaskedData
            guard message.data.readableBytes + data.readableBytes <= maxMessageBytes else {
                return refuse(CloseCodes.tooBig, "message larger than \(maxMessageBytes) bytes")
            }
            message.data.writeBuffer(&data)
            partial = frame.fin ? nil : message
            if frame.fin { receive(message.opcode, compressed: message.compressed, message.data, context: context) }
        case .ping:
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .pong:
            break
        case .connectionClose:
            // The client's answer to our close, or its own close: echo it (RFC 6455 §5.5.1), then end.
            if session.isClosing {
                context.close(promise: nil)
            } else {
                session.closeNow(echoing: frame.unmaskedData)
            }
        default:
            refuse(CloseCodes.protocolError, "unknown opcode")
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            session.close(code: CloseCodes.serviceRestart, reason: "node shutting down; reconnect")
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    /// A whole message: inflated if compressed, checked, queued for the session's task.
    private func receive(_ opcode: WebSocketOpcode, compressed: Bool, _ payload: ByteBuffer, context: ChannelHandlerContext) {
        var payload = payload
        if compressed {
            guard session.deflate != nil else { return refuse(CloseCodes.protocolError, "compressed frame without permessage-deflate") }
            switch Deflate.inflate(payload, maxSize: maxMessageBytes, allocator: context.channel.allocator) {
            case .message(let inflated): payload = inflated
            case .tooLarge: return refuse(CloseCodes.tooBig, "message larger than \(maxMessageBytes) bytes")
            case .invalid: return refuse(CloseCodes.invalidPayload, "the message does not inflate")
            }
        }
        let item: SessionInbox.Item
        if opcode == .binary {
            item = .binary
        } else {
            guard let text = String(validating: payload.readableBytesView, as: UTF8.self) else {
                return refuse(CloseCodes.invalidPayload, "text is not UTF-8")
            }
            item = .text(text)
        }
        let (start, pause) = inbox.add(item)
        if pause { context.channel.setOption(ChannelOptions.autoRead, value: false).whenComplete { _ in } }
        if start {
            let (gateway, session, inbox) = (self.gateway, self.session, self.inbox)
            Task { await gateway.process(session, inbox) }
        }
    }

    private func refuse(_ code: UInt16, _ reason: String) {
        partial = nil
        session.close(code: code, reason: reason)
    }
}
