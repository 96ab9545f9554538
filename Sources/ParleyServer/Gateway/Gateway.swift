import Foundation
import Logging
import NIOCore
import NIOWebSocket
import ParleyBus
import ParleyCore
import ParleyProtocol

/// The WebSocket side of a node: runs each authenticated session from its `connected`
/// frame to its close, turning client frames into domain calls and replies.
struct Gateway: Sendable {
    let chat: Chat
    let presence: Presence
    let registry: SessionRegistry
    let outboxes = Outboxes()
    /// Messages per user, across the user's sessions and HTTP sends.
    let userLimits: KeyedRateLimit
    /// Reads per user over HTTP (history, sync, search, the conversation list).
    let userReads: KeyedRateLimit
    let configuration: ServerConfiguration
    let logger: Logger

    /// Frames larger than this are refused by the WebSocket layer itself (close 1009);
    /// frames between `maxFrameBytes` and this get a `too_large` error and the session lives on.
    var hardFrameLimit: Int { max(configuration.maxFrameBytes * 4, 1 << 20) }

    /// A session whose upgrade was accepted: its handler, on the channel's event loop.
    func open(_ device: DeviceIdentity, deflate: Deflate?, channel: any Channel) -> SessionHandler {
        let session = ClientSession(
            id: chat.ids.next(), caller: device.caller, deviceId: device.deviceId, platform: device.platform,
            channel: channel, outboxes: outboxes, queueLimit: configuration.outboundQueueFrames,
            byteLimit: configuration.outboundQueueBytes, now: chat.clock.now(), deflate: deflate,
            metrics: chat.metrics)
        return SessionHandler(session: session, gateway: self, maxMessageBytes: hardFrameLimit)
    }

    /// A session starts: `connected` goes first, the device's older session here is replaced,
    /// and (off the event loop) one on another node too, and presence hears of it.
    func opened(_ session: ClientSession) -> Task<Void, Never> {
        let now = chat.clock.now()
        session.enqueue(chat.frames.frame(.connected, ConnectedPayload(
            userId: session.userId, deviceId: session.deviceId, sessionId: session.id, serverTime: now,
            heartbeatInterval: configuration.heartbeatInterval, idleTimeout: configuration.idleTimeout)))
        chat.metrics.connectionsAccepted.add()
        chat.metrics.connections.add(1)
        let kicked = chat.frames.kicked(reason: "replaced", message: "This device signed in again elsewhere.")
        for replaced in registry.add(session) {
            replaced.close(code: CloseCodes.kicked, reason: "replaced", finalFrame: kicked)
        }
        return Task { [chat, presence] in
            // The device's older session may sit on another node of a cluster.
            await chat.bus.publish(.disconnect(Disconnect(
                userId: session.userId, deviceId: session.deviceId, sparedSession: session.id, finalFrame: kicked,
                closeCode: CloseCodes.kicked, reason: "replaced")))
            await presence.connected(session.caller, deviceId: session.deviceId, platform: session.platform)
        }
    }

    /// A session's connection is gone.
    func closed(_ session: ClientSession, after opening: Task<Void, Never>?) {
        registry.remove(session)
        chat.metrics.connections.add(-1)
        Task { [presence] in
            await opening?.value
            await presence.disconnected(session.caller)
        }
    }

    /// Handles a session's queued frames in order, answering each before the next, until none
    /// is left; the next frame to arrive starts another run.
    func process(_ session: ClientSession, _ inbox: SessionInbox) async {
        var limits = inbox.limits
        while true {
            let (item, resume) = inbox.next(saving: limits)
            if resume { session.resumeReading() }
            guard let item else { return }
            let reply: ByteBuffer?
            switch item {
            case .binary:
                reply = chat.frames.error(.badRequest("binary frames are not supported; send JSON text frames"), requestId: nil)
            case .text(let text):
                reply = await handle(text, session: session, limits: &limits, now: chat.clock.now())
            }
            if let reply { session.enqueue(reply) }
            if limits.rejectionsInARow >= configuration.abuseLimit, !session.isClosing {
                log(session).notice("closing session that ignores its limits")
                session.close(code: CloseCodes.policyViolation, reason: "too many rejected frames")
            }
            // A closing session's waiting frames are dropped, not handled (nor logged) one by one.
            if session.isClosing {
                inbox.discard()
                _ = inbox.next(saving: limits)
                return
            }
        }
    }

    /// The node's logger with the session's identity, made only when something is logged.
    private func log(_ session: ClientSession) -> Logger {
        logger.with(["session": "\(session.id)", "user": "\(session.userId)", "device": "\(session.deviceId)"])
    }

    /// One client frame → its reply (nil when the frame has none).
    func handle(_ text: String, session: ClientSession, limits: inout SessionLimits, now: Int64) async -> ByteBuffer? {
        if text.utf8.count > configuration.maxFrameBytes {
            limits.rejected()
            return chat.frames.error(
                ChatError(.tooLarge, "frame is \(text.utf8.count) bytes; the limit is \(configuration.maxFrameBytes)"), requestId: nil)
        }
        let frame = ClientFrame.parse(Data(text.utf8))
        let requestId = frame.requestId
        let command: ClientCommand
        switch frame.command {
        case .failure(let violation):
            limits.rejected()
            return chat.frames.error(.badRequest(violation.message), requestId: requestId)
        case .success(let parsed):
            command = parsed
        }
        if let refusal = limits.admit(command, now: now) ?? userLimit(command, session: session, now: now, limits: &limits) {
            chat.metrics.rateLimited.add()
            return chat.frames.error(refusal, requestId: requestId)
        }
        let caller = session.caller
        do {
            switch command {
            case .message(let request):
                let started = monotonicNanoseconds()
                let ack = chat.frames.ack(try await chat.send(request, from: caller), requestId: requestId)
                chat.metrics.sendToAck.observe(nanoseconds: monotonicNanoseconds() - started)
                return ack
            case .receipt(let receipt):
                let ack = try await chat.acknowledge(receipt, from: caller)
                return requestId == nil ? nil : chat.frames.frame(.ack, requestId: requestId, ack)
            case .typing(let typing):
                try await chat.typing(typing, from: caller)
                return nil
            case .sync(let request):
                return chat.frames.frame(.sync, requestId: requestId, try await chat.sync(request, for: caller))
            case .history(let request):
                return chat.frames.frame(.history, requestId: requestId, try await chat.history(request, for: caller))
            case .recall(let request):
                return chat.frames.frame(.ack, requestId: requestId, try await chat.recall(request, by: caller))
            case .edit(let request):
                return chat.frames.frame(.ack, requestId: requestId, try await chat.edit(request, by: caller))
            case .delete(let request):
                return chat.frames.frame(.ack, requestId: requestId, try await chat.delete(request, by: caller))
            case .react(let request):
                return chat.frames.frame(.ack, requestId: requestId, try await chat.react(request, by: caller))
            case .presence(let update):
                try await presence.set(update.status, for: caller)
                return requestId == nil ? nil : chat.frames.frame(.ack, requestId: requestId, update)
            case .ping:
                return chat.frames.frame(.pong, requestId: requestId, EmptyPayload())
            }
        } catch {
            let failure = ChatError.from(error)
            if failure.code == .internal {
                log(session).error("request failed", metadata: ["error": "\(error)"])
            } else {
                limits.rejected()
            }
            return chat.frames.error(failure, requestId: requestId)
        }
    }
}

extension Gateway {
    init(chat: Chat, presence: Presence, registry: SessionRegistry, configuration: ServerConfiguration, logger: Logger) {
        self.chat = chat
        self.presence = presence
        self.registry = registry
        self.configuration = configuration
        self.logger = logger
        self.userLimits = KeyedRateLimit(
            "messages from this account", rate: configuration.userMessageRate, burst: configuration.userMessageBurst)
        self.userReads = KeyedRateLimit("reads from this account", rate: configuration.readRate, burst: configuration.readBurst)
    }

    /// The per-user limits (messages, reads), checked after the session's own: more sockets
    /// do not multiply a user's allowance.
    func userLimit(_ command: ClientCommand, session: ClientSession, now: Int64, limits: inout SessionLimits) -> ChatError? {
        let limit: KeyedRateLimit
        switch command {
        case .message: limit = userLimits
        case .history, .sync: limit = userReads
        default: return nil
        }
        guard let wait = limit.take(session.userId, now: now) else { return nil }
        limits.rejected()
        return ChatError(.rateLimited, "too many \(limit.what); retry in \(wait) ms", retryAfterMs: wait)
    }
}

/// Per-session rate limits, and a count of refused frames in a row.
struct SessionLimits {
    var messages: TokenBucket
    var typing: TokenBucket
    var receipts: TokenBucket
    /// `history` and `sync`: each can make the node read and send a large page.
    var reads: TokenBucket
    private(set) var rejectionsInARow = 0

    init(configuration: ServerConfiguration, now: Int64) {
        messages = TokenBucket(rate: configuration.messageRate, burst: configuration.messageBurst, now: now)
        typing = TokenBucket(rate: configuration.typingRate, burst: configuration.typingBurst, now: now)
        receipts = TokenBucket(rate: configuration.receiptRate, burst: configuration.receiptBurst, now: now)
        reads = TokenBucket(rate: configuration.readRate, burst: configuration.readBurst, now: now)
    }

    /// Nil when the command may run; otherwise the `rate_limited` error to answer.
    mutating func admit(_ command: ClientCommand, now: Int64) -> ChatError? {
        let wait: Int64?
        let what: String
        switch command {
        case .message:
            wait = messages.take(now: now)
            what = "messages"
        case .typing:
            wait = typing.take(now: now)
            what = "typing notices"
        case .receipt:
            wait = receipts.take(now: now)
            what = "receipts"
        case .history, .sync:
            wait = reads.take(now: now)
            what = "history and sync requests"
        default:
            rejectionsInARow = 0
            return nil
        }
        guard let wait else {
            rejectionsInARow = 0
            return nil
        }
        rejected()
        return ChatError(.rateLimited, "too many \(what); retry in \(wait) ms", retryAfterMs: wait)
    }

    mutating func rejected() {
        rejectionsInARow += 1
    }
}

extension Logger {
    func with(_ metadata: Logger.Metadata) -> Logger {
        var logger = self
        for (key, value) in metadata { logger[metadataKey: key] = value }
        return logger
    }
}

extension Gateway {
    /// Takes a token of a per-user limit for an HTTP request, or throws `rate_limited`.
    func admit(_ caller: Caller, to limit: KeyedRateLimit) throws {
        do {
            try limit.admit(caller.userId, now: chat.clock.now())
        } catch {
            chat.metrics.rateLimited.add()
            throw error
        }
    }
}
