import Foundation
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A subscription: its messages, in order, until it is cancelled or the client closes.
public final class NATSSubscription: Sendable {
    public let subject: String
    public let queue: String?
    let sid: Int
    public let messages: AsyncStream<NATSMessage>
    let continuation: AsyncStream<NATSMessage>.Continuation
    /// Called on the event loop for each message instead of the stream (no task per subscription).
    let handler: (@Sendable (NATSMessage) -> Void)?

    init(sid: Int, subject: String, queue: String?, handler: (@Sendable (NATSMessage) -> Void)? = nil) {
        self.sid = sid
        self.subject = subject
        self.queue = queue
        self.handler = handler
        (messages, continuation) = AsyncStream.makeStream(of: NATSMessage.self, bufferingPolicy: .bufferingNewest(65_536))
    }
}

/// A NATS client over SwiftNIO: the core protocol (CONNECT, PUB/HPUB, SUB/UNSUB, MSG/HMSG,
/// PING/PONG) with request/reply through a shared inbox, and reconnection: after a lost
/// connection it reconnects with backoff, subscribes again, and sends what was published
/// meanwhile (up to a bound).
public final class NATSClient: Sendable {
    public let host: String
    public let port: Int
    private let name: String
    private let logger: Logger
    private let inboxPrefix: String
    private let echo: Bool

    private struct State {
        var channel: (any Channel)?
        var subscriptions: [Int: NATSSubscription] = [:]
        var nextSid = 1
        var pings: [CheckedContinuation<Void, any Error>] = []
        var requests: [String: CheckedContinuation<NATSMessage, any Error>] = [:]
        var nextRequest = 0
        /// Published while disconnected, sent after the reconnect.
        var pending: [ByteBuffer] = []
        var pendingBytes = 0
        var closed = false
        var reconnecting = false
        var inboxSid: Int?
    }
    private let state = Mutex(State())
    /// Most bytes kept while disconnected; beyond it `publish` throws `notConnected`.
    private let pendingLimit = 8 << 20

    /// - Parameters:
    ///   - url: `nats://host:port`.
    ///   - echo: whether this connection's subscriptions receive what it publishes itself.
    public init(url: String, name: String = "parley", echo: Bool = true, logger: Logger) throws {
        guard let components = URLComponents(string: url), components.scheme == "nats", let host = components.host else {
            throw NATSError.protocolViolation("a NATS URL looks like nats://host:port")
        }
        self.host = host
        self.port = components.port ?? 4222
        self.name = name
        self.echo = echo
        self.logger = logger
        self.inboxPrefix = "_INBOX." + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    }

    public var isConnected: Bool { state.withLock { $0.channel != nil } }

    /// A subject nobody else uses, for replies addressed to this client.
    public func newInbox() -> String {
        inboxPrefix + ".own." + UUID().uuidString.replacingOccurrences(of: "-", with: "")
    }

    /// Connects (the first time must succeed) and subscribes the request inbox.
    public func connect() async throws {
        try await connectOnce()
        let inbox = subscribe(inboxPrefix + ".*")
        state.withLock { $0.inboxSid = inbox.sid }
        try await flush()
    }

    /// Closes the connection; subscriptions end, waiting requests fail.
    public func close() async {
        let (channel, subscriptions, pings, requests) = state.withLock { s in
            s.closed = true
            defer {
                s.subscriptions = [:]
                s.pings = []
                s.requests = [:]
                s.channel = nil
            }
            return (s.channel, Array(s.subscriptions.values), s.pings, Array(s.requests.values))
        }
        for subscription in subscriptions { subscription.continuation.finish() }
        for ping in pings { ping.resume(throwing: NATSError.notConnected) }
        for request in requests { request.resume(throwing: NATSError.notConnected) }
        try? await channel?.close()
    }

    // MARK: Publishing and subscribing

    public func publish(_ subject: String, payload: ByteBuffer = ByteBuffer(), replyTo: String? = nil, headers: [String: String] = [:]) throws {
        var out = ByteBuffer()
        let reply = replyTo.map { " " + $0 } ?? ""
        if headers.isEmpty {
            out.writeString("PUB \(subject)\(reply) \(payload.readableBytes)\r\n")
        } else {
            var block = "NATS/1.0\r\n"
            for (key, value) in headers { block += "\(key): \(value)\r\n" }
            block += "\r\n"
            out.writeString("HPUB \(subject)\(reply) \(block.utf8.count) \(block.utf8.count + payload.readableBytes)\r\n\(block)")
        }
        out.writeImmutableBuffer(payload)
        out.writeString("\r\n")
        try send(out)
    }

    /// Subscribes; `queue` makes it one of a queue group (each message goes to one member).
    public func subscribe(_ subject: String, queue: String? = nil, handler: (@Sendable (NATSMessage) -> Void)? = nil) -> NATSSubscription {
        let subscription = state.withLock { s in
            defer { s.nextSid += 1 }
            let subscription = NATSSubscription(sid: s.nextSid, subject: subject, queue: queue, handler: handler)
            s.subscriptions[subscription.sid] = subscription
            return subscription
        }
        try? send(Self.subLine(subscription))
        return subscription
    }

    public func unsubscribe(_ subscription: NATSSubscription) {
        _ = state.withLock { $0.subscriptions.removeValue(forKey: subscription.sid) }
        subscription.continuation.finish()
        try? send(ByteBuffer(string: "UNSUB \(subscription.sid)\r\n"))
    }

    /// Publishes and waits for one reply.
    public func request(_ subject: String, payload: ByteBuffer = ByteBuffer(), headers: [String: String] = [:], timeout: Duration = .seconds(5)) async throws -> NATSMessage {
        let token = state.withLock { s in
            s.nextRequest += 1
            return String(s.nextRequest)
        }
        let inbox = inboxPrefix + "." + token
        let timer = Task {
            try await Task.sleep(for: timeout)
            if let waiting = self.state.withLock({ $0.requests.removeValue(forKey: token) }) { waiting.resume(throwing: NATSError.timeout) }
        }
        defer { timer.cancel() }
        let reply = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<NATSMessage, any Error>) in
            state.withLock { $0.requests[token] = continuation }
            do {
                try publish(subject, payload: payload, replyTo: inbox, headers: headers)
            } catch {
                if let waiting = state.withLock({ $0.requests.removeValue(forKey: token) }) { waiting.resume(throwing: error) }
            }
        }
        if reply.status == 503 { throw NATSError.noResponders }
        return reply
    }

    /// Publishes with a reply subject of its own and waits for the first message on it. For
    /// replies that keep their original subject (a JetStream pull delivers the stored message
    /// under its own subject), which the shared inbox cannot match to a request.
    public func requestOnce(_ subject: String, payload: ByteBuffer = ByteBuffer(), timeout: Duration = .seconds(5)) async throws -> NATSMessage {
        let inbox = newInbox()
        let subscription = subscribe(inbox)
        defer { unsubscribe(subscription) }
        try publish(subject, payload: payload, replyTo: inbox)
        let first = Task { () -> NATSMessage? in
            for await message in subscription.messages { return message }
            return nil
        }
        let timer = Task {
            try await Task.sleep(for: timeout)
            subscription.continuation.finish()
        }
        defer { timer.cancel() }
        guard let message = await first.value else { throw NATSError.timeout }
        if message.status == 503 { throw NATSError.noResponders }
        return message
    }

    /// Waits until the server has processed everything sent before (PING → PONG).
    public func flush(timeout: Duration = .seconds(5)) async throws {
        let timer = Task {
            try await Task.sleep(for: timeout)
            let waiting = self.state.withLock { s -> [CheckedContinuation<Void, any Error>] in
                defer { s.pings = [] }
                return s.pings
            }
            for ping in waiting { ping.resume(throwing: NATSError.timeout) }
        }
        defer { timer.cancel() }
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let channel = state.withLock { s -> (any Channel)? in
                guard s.channel != nil else { return nil }
                s.pings.append(continuation)
                return s.channel
            }
            guard let channel else {
                continuation.resume(throwing: NATSError.notConnected)
                return
            }
            channel.writeAndFlush(ByteBuffer(string: "PING\r\n"), promise: nil)
        }
    }

    // MARK: Connection

    private static func subLine(_ subscription: NATSSubscription) -> ByteBuffer {
        ByteBuffer(string: "SUB \(subscription.subject)\(subscription.queue.map { " " + $0 } ?? "") \(subscription.sid)\r\n")
    }

    private func send(_ bytes: ByteBuffer) throws {
        let channel = try state.withLock { s -> (any Channel)? in
            if let channel = s.channel { return channel }
            guard !s.closed, s.pendingBytes + bytes.readableBytes <= pendingLimit else { throw NATSError.notConnected }
            s.pending.append(bytes)
            s.pendingBytes += bytes.readableBytes
            return nil
        }
        channel?.writeAndFlush(bytes, promise: nil)
    }

    private func connectOnce() async throws {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.seconds(5))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(ServerOperationDecoder()))
                    try channel.pipeline.syncOperations.addHandler(InboundHandler(client: self))
                }
            }
            .connect(host: host, port: port).get()
        // CONNECT and every live subscription (again, after a reconnect) go first: the server
        // must see CONNECT (which allows headers) before any publish. Only then is the channel
        // handed to `send`, with what waited meanwhile (subscriptions made in between are among it).
        var hello = ByteBuffer(string: #"CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"echo":\#(echo),"name":"\#(name)","lang":"swift","version":"1.0","protocol":1}"# + "\r\n")
        let subscriptions = state.withLock { $0.subscriptions.values.sorted { $0.sid < $1.sid } }
        for subscription in subscriptions { hello.writeImmutableBuffer(Self.subLine(subscription)) }
        try await channel.writeAndFlush(hello)
        let pending = state.withLock { s -> [ByteBuffer] in
            s.channel = channel
            defer {
                s.pending = []
                s.pendingBytes = 0
            }
            return s.pending
        }
        if !pending.isEmpty {
            var backlog = ByteBuffer()
            for bytes in pending { backlog.writeImmutableBuffer(bytes) }
            try await channel.writeAndFlush(backlog)
        }
        logger.info("nats connected", metadata: ["server": "\(host):\(port)"])
    }

    fileprivate func received(_ operation: ServerOperation, on channel: any Channel) {
        switch operation {
        case .message(let sid, let message):
            let (subscription, reply) = state.withLock { s -> (NATSSubscription?, CheckedContinuation<NATSMessage, any Error>?) in
                if sid == s.inboxSid, let token = message.subject.split(separator: ".").last {
                    return (nil, s.requests.removeValue(forKey: String(token)))
                }
                return (s.subscriptions[sid], nil)
            }
            if let reply { reply.resume(returning: message) }
            if let handler = subscription?.handler {
                handler(message)
            } else {
                subscription?.continuation.yield(message)
            }
        case .ping:
            channel.writeAndFlush(ByteBuffer(string: "PONG\r\n"), promise: nil)
        case .pong:
            let ping = state.withLock { s in s.pings.isEmpty ? nil : s.pings.removeFirst() }
            ping?.resume()
        case .error(let text):
            logger.warning("nats server error", metadata: ["error": "\(text)"])
        case .info, .ok:
            break
        }
    }

    fileprivate func disconnected(_ channel: any Channel) {
        let (reconnect, pings) = state.withLock { s -> (Bool, [CheckedContinuation<Void, any Error>]) in
            guard s.channel === channel else { return (false, []) }
            s.channel = nil
            defer { s.pings = [] }
            let start = !s.closed && !s.reconnecting
            if start { s.reconnecting = true }
            return (start, s.pings)
        }
        for ping in pings { ping.resume(throwing: NATSError.notConnected) }
        guard reconnect else { return }
        logger.warning("nats connection lost; reconnecting", metadata: ["server": "\(host):\(port)"])
        Task { await self.reconnectLoop() }
    }

    private func reconnectLoop() async {
        var delay = Duration.milliseconds(100)
        while !state.withLock({ $0.closed }) {
            do {
                try await connectOnce()
                state.withLock { $0.reconnecting = false }
                return
            } catch {
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}

/// Hands the server's operations to the client; reports the connection's end.
private final class InboundHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ServerOperation
    let client: NATSClient

    init(client: NATSClient) {
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        client.received(unwrapInboundIn(data), on: context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        client.disconnected(context.channel)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
