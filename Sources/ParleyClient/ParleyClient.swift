import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import ParleyProtocol

/// A Parley client: logs in, holds a WebSocket to the node, and makes it reliable.
///
/// - Reconnects by itself with exponential backoff and jitter, and syncs on every reconnect.
/// - Every request waits in an outgoing queue until answered; after a reconnect the queue is
///   sent again in order. Sends are keyed by `localId`, so a resend is the same message:
///   each message is stored and delivered exactly once.
/// - Messages reach `events` in seq order per conversation, each once; missing ones are
///   fetched from history. Messages this client sent itself are not repeated there: the
///   send's ack already carries them.
/// - The access token is refreshed before it expires.
///
/// ```swift
/// let client = ParleyClient(configuration: .init(serverURL: url, deviceId: "phone"))
/// try await client.login(username: "alice", password: "correct horse")
/// await client.start()
/// let ack = try await client.send(text: "你好", to: bobId)
/// for await event in client.events { … }
/// ```
public actor ParleyClient {
    public let configuration: ClientConfiguration
    /// Everything that happens, in order. Finishes when the client stops.
    public nonisolated let events: AsyncStream<ClientEvent>
    private let emit: AsyncStream<ClientEvent>.Continuation
    let http: HTTPTransport
    private let logger: Logger

    private var grant: TokenGrant?
    private var grantExpires: ContinuousClock.Instant = .now
    private var grantLifetime: Duration = .zero

    private struct Pending {
        let frame: String
        let continuation: CheckedContinuation<(type: String, data: Data), any Error>
    }
    /// The outgoing queue: requests not yet answered, in the order they were made.
    private var pending: [String: Pending] = [:]
    private var pendingOrder: [String] = []
    private var nextRequest = 0
    private var writer: AsyncStream<String>.Continuation?

    private var ordering = ReorderBuffer<Released>()
    private var gapCheck: Task<Void, Never>?
    private var syncVersion: Int64 = 0
    private var notificationSeq: Int64 = 0
    private var hasSynced = false

    private var running: Task<Void, Never>?
    private var attempt: Task<Bool, Never>?
    /// Whether the current connection got as far as a `connected` frame.
    private var sessionOpened = false
    private var stopped = false

    /// An item released in seq order.
    enum Released: Sendable {
        case message(MessagePayload)
        case recall(conversationId: String, messageId: String, eventSeq: Int64)
        /// A message this client sent: it holds its seq in the order, but the app already has
        /// it from the send's ack, so it is not emitted again.
        case sentHere
    }

    public init(configuration: ClientConfiguration, logger: Logger = Logger(label: "parley.client")) {
        self.configuration = configuration
        self.http = HTTPTransport(baseURL: configuration.serverURL)
        self.logger = logger
        (self.events, self.emit) = AsyncStream.makeStream(of: ClientEvent.self)
    }

    // MARK: Accounts

    /// The logged-in user's id.
    public var userId: String? { grant?.userId }

    public func register(username: String, password: String, displayName: String? = nil) async throws {
        adopt(try await http.call(
            "POST", "v1/auth/register", body: RegisterRequest(username: username, password: password, displayName: displayName),
            as: TokenGrant.self))
    }

    public func login(username: String, password: String) async throws {
        adopt(try await http.call("POST", "v1/auth/login", body: LoginRequest(username: username, password: password), as: TokenGrant.self))
    }

    /// Exchanges the refresh token for new tokens now.
    public func refreshTokens() async throws {
        guard let grant else { throw ParleyClientError.notAuthenticated }
        adopt(try await http.call("POST", "v1/auth/refresh", body: RefreshRequest(refreshToken: grant.refreshToken), as: TokenGrant.self))
    }

    /// The current access token, refreshed first when little of its lifetime is left.
    public func accessToken() async throws -> String {
        guard let grant else { throw ParleyClientError.notAuthenticated }
        if ContinuousClock.now + grantLifetime * configuration.refreshMargin >= grantExpires {
            try await refreshTokens()
        }
        return self.grant?.accessToken ?? grant.accessToken
    }

    /// The access token held now, without refreshing it.
    public func currentAccessToken() throws -> String {
        guard let grant else { throw ParleyClientError.notAuthenticated }
        return grant.accessToken
    }

    /// Acts as the user of a grant obtained elsewhere (e.g. `ParleyAccounts.register`), as
    /// after a login.
    public func signIn(with grant: TokenGrant) {
        adopt(grant)
    }

    private func adopt(_ grant: TokenGrant) {
        self.grant = grant
        grantLifetime = .seconds(grant.expiresIn)
        grantExpires = .now + grantLifetime
    }

    // MARK: Connection

    /// Connects, and keeps reconnecting until `stop()` or until the server kicks this session.
    public func start() {
        guard running == nil else { return }
        stopped = false
        running = Task { await self.run() }
    }

    /// Closes the connection, fails what is still queued, and ends `events`.
    public func stop() async {
        stopped = true
        attempt?.cancel()
        gapCheck?.cancel()
        let task = running
        running = nil
        await task?.value
        failAll(ParleyClientError.stopped)
        emit.finish()
    }

    /// Drops the current connection abruptly, as a network failure would; the client then
    /// reconnects as usual. For resilience drills and tests.
    public func dropConnection() {
        attempt?.cancel()
    }

    private func run() async {
        var backoff = configuration.reconnect
        var refresher: Task<Void, Never>?
        while !stopped {
            refresher?.cancel()
            refresher = Task { await self.refreshBeforeExpiry() }
            let attempt = Task { await self.connectOnce() }
            self.attempt = attempt
            let connected = await attempt.value
            detach()
            if stopped { break }
            emit.yield(.disconnected)
            if connected { backoff.reset() }
            try? await Task.sleep(for: backoff.next())
        }
        refresher?.cancel()
    }

    /// One connection, from upgrade to close. Returns whether a session was established.
    private func connectOnce() async -> Bool {
        let token: String
        do {
            token = try await accessToken()
        } catch {
            logger.warning("cannot get an access token", metadata: ["error": "\(error)"])
            if case ParleyClientError.server(let failure) = error, failure.code == .unauthorized { stopped = true }
            return false
        }
        sessionOpened = false
        do {
            var socket = WebSocketClientConfiguration()
            socket.maxFrameSize = 16 << 20
            socket.additionalHeaders = [.authorization: "Bearer \(token)"]
            let url = configuration.socketURL
            try await WebSocketClient.connect(url: url, configuration: socket, logger: logger) { inbound, outbound, _ in
                let (lines, writer) = AsyncStream.makeStream(of: String.self)
                await self.attach(writer)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await line in lines { try await outbound.write(.text(line)) }
                    }
                    for try await message in inbound.messages(maxSize: 16 << 20) {
                        if case .text(let text) = message { await self.receive(text) }
                    }
                    group.cancelAll()
                }
            }
        } catch {
            logger.debug("connection ended", metadata: ["error": "\(error)"])
        }
        return sessionOpened
    }

    /// A connection is up: send the whole outgoing queue again, in order.
    private func attach(_ writer: AsyncStream<String>.Continuation) {
        self.writer = writer
        for id in pendingOrder {
            if let request = pending[id] { writer.yield(request.frame) }
        }
    }

    private func detach() {
        writer?.finish()
        writer = nil
    }

    private func failAll(_ error: any Error) {
        let all = pending
        pending = [:]
        pendingOrder = []
        for request in all.values { request.continuation.resume(throwing: error) }
    }

    private func refreshBeforeExpiry() async {
        while !Task.isCancelled, !stopped {
            let wait = grantExpires - grantLifetime * configuration.refreshMargin - .now
            if wait > .zero {
                do { try await Task.sleep(for: wait) } catch { return }
            }
            do {
                try await refreshTokens()
            } catch {
                logger.warning("token refresh failed", metadata: ["error": "\(error)"])
                do { try await Task.sleep(for: .seconds(5)) } catch { return }
            }
        }
    }

    // MARK: Requests

    /// Sends a request and waits for its reply, across reconnects.
    func request<Body: Encodable & Sendable>(_ type: String, _ body: Body, id: String? = nil) async throws -> (type: String, data: Data) {
        if stopped { throw ParleyClientError.stopped }
        nextRequest += 1
        let requestId = id ?? "q\(nextRequest)"
        let frame = String(decoding: try JSONEncoder().encode(OutgoingFrame(type: type, requestId: requestId, data: body)), as: UTF8.self)
        let reply = try await withCheckedThrowingContinuation { continuation in
            if pending[requestId] != nil {
                // The same send is already queued: wait for the same answer.
                pending[requestId + "#\(nextRequest)"] = Pending(frame: "", continuation: continuation)
                return
            }
            pending[requestId] = Pending(frame: frame, continuation: continuation)
            pendingOrder.append(requestId)
            writer?.yield(frame)
        }
        if reply.type == "error" {
            let failure = (try? JSONDecoder().decode(ErrorPayload.self, from: reply.data))
                ?? ErrorPayload(code: .internal, message: "unreadable error")
            throw ParleyClientError.server(failure)
        }
        return reply
    }

    private struct OutgoingFrame<Body: Encodable>: Encodable {
        var type: String
        var requestId: String
        var data: Body
    }

    private func answer(_ requestId: String, type: String, data: Data) {
        if type == "error", let failure = try? JSONDecoder().decode(ErrorPayload.self, from: data),
            failure.code == .rateLimited, let request = pending[requestId]
        {
            // Rate limited: the request stays queued and goes again when allowed.
            let wait = Duration.milliseconds(max(50, failure.retryAfterMs ?? 1000))
            Task {
                try? await Task.sleep(for: wait)
                await self.resend(requestId, frame: request.frame)
            }
            return
        }
        pendingOrder.removeAll { $0 == requestId }
        let waiters = pending.filter { $0.key == requestId || $0.key.hasPrefix(requestId + "#") }
        for (key, request) in waiters {
            pending[key] = nil
            request.continuation.resume(returning: (type, data))
        }
    }

    private func resend(_ requestId: String, frame: String) {
        if pending[requestId] != nil { writer?.yield(frame) }
    }

    func decode<T: Decodable>(_ type: T.Type, _ reply: (type: String, data: Data)) throws -> T {
        try JSONDecoder().decode(T.self, from: reply.data)
    }

    // MARK: Messaging API

    /// Sends a message; returns once the server has stored it. Retried across reconnects
    /// under the same `localId` until acknowledged.
    public func send(_ message: SendMessage) async throws -> SendAck {
        let ack = try decode(SendAck.self, try await request("message", message, id: "send-" + message.localId))
        release(ordering.accept(.sentHere, seq: ack.seq, in: ack.conversationId))
        return ack
    }

    /// Sends a text to a user.
    public func send(text: String, to receiverId: String, localId: String = UUID().uuidString) async throws -> SendAck {
        try await send(SendMessage(conversationType: .private, receiverId: receiverId, contentType: "text", content: .object(["text": .string(text)]), localId: localId))
    }

    /// Marks everything up to `seq` read (on every device of this user).
    @discardableResult
    public func markRead(conversationId: String, seq: Int64) async throws -> ReceiptAck {
        try decode(ReceiptAck.self, try await request("ack", ReceiptRequest(conversationId: conversationId, seq: seq, status: .read)))
    }

    /// Marks everything up to `seq` delivered.
    @discardableResult
    public func markDelivered(conversationId: String, seq: Int64) async throws -> ReceiptAck {
        try decode(ReceiptAck.self, try await request("ack", ReceiptRequest(conversationId: conversationId, seq: seq, status: .delivered)))
    }

    /// Tells the other members this user is typing. Fire and forget: never queued.
    public func typing(conversationId: String, state: TypingState) {
        struct Frame: Encodable { var type = "typing"; var data: TypingRequest }
        if let frame = try? JSONEncoder().encode(Frame(data: TypingRequest(conversationId: conversationId, state: state))) {
            writer?.yield(String(decoding: frame, as: UTF8.self))
        }
    }

    public func recall(conversationId: String, messageId: String) async throws -> RecallAck {
        try decode(RecallAck.self, try await request("recall", RecallRequest(conversationId: conversationId, messageId: messageId)))
    }

    public func history(_ query: HistoryRequest) async throws -> HistoryResponse {
        try decode(HistoryResponse.self, try await request("history", query))
    }

    public func sync(_ query: SyncRequest) async throws -> SyncResponse {
        try decode(SyncResponse.self, try await request("sync", query))
    }

    /// The conversation list with unread counts (over HTTP).
    public func conversations() async throws -> [ConversationSummary] {
        try await http.call("GET", "v1/conversations", token: try await accessToken(), as: ConversationList.self).conversations
    }

    // MARK: Inbound

    private func receive(_ text: String) {
        let frame: ServerFrame
        do {
            frame = try ServerFrame.decode(Data(text.utf8))
        } catch {
            logger.warning("unreadable frame", metadata: ["error": "\(error)"])
            return
        }
        switch frame {
        case .connected(let session):
            sessionOpened = true
            emit.yield(.connected(session))
            Task { await self.catchUp() }
        case .message(let message):
            release(ordering.accept(.message(message), seq: message.seq, in: message.conversationId))
        case .notification(let notice):
            handle(notice)
        case .reply(let type, let requestId, let data):
            answer(requestId, type: type, data: data)
        case .other:
            break
        }
    }

    private func handle(_ notice: NotificationPayload) {
        switch notice.notificationType {
        case NotificationType.kicked:
            stopped = true
            emit.yield(.kicked(reason: notice.actionData["reason"]?.stringValue ?? "unknown"))
            attempt?.cancel()
        case NotificationType.messageRecalled:
            guard let conversationId = notice.actionData["conversationId"]?.stringValue,
                let messageId = notice.actionData["messageId"]?.stringValue,
                case .number(let eventSeq)? = notice.actionData["eventSeq"]
            else { return }
            let recall = Released.recall(conversationId: conversationId, messageId: messageId, eventSeq: Int64(eventSeq))
            release(ordering.accept(recall, seq: Int64(eventSeq), in: conversationId))
        default:
            emit.yield(.notification(notice))
        }
    }

    private func release(_ items: [Released]) {
        for item in items {
            switch item {
            case .message(let message): emit.yield(.message(message))
            case .recall(let conversationId, let messageId, let eventSeq):
                emit.yield(.recalled(conversationId: conversationId, messageId: messageId, eventSeq: eventSeq))
            case .sentHere:
                break
            }
        }
        scheduleGapFill()
    }

    /// Out-of-order items wait `gapTimeout` for the missing ones, then those are fetched.
    private func scheduleGapFill() {
        guard gapCheck == nil, !ordering.gaps.isEmpty else { return }
        let wait = configuration.gapTimeout
        gapCheck = Task {
            try? await Task.sleep(for: wait)
            await self.fillGaps()
        }
    }

    private func fillGaps() async {
        defer {
            gapCheck = nil
            scheduleGapFill()
        }
        for gap in ordering.gaps {
            do {
                try await fill(gap.conversationId, after: gap.after, through: gap.through)
            } catch {
                logger.debug("gap fill failed", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    /// Fetches `after+1 … through` from history into the ordering buffer.
    private func fill(_ conversationId: String, after: Int64, through: Int64) async throws {
        var cursor = after
        while cursor < through {
            let page = try await history(HistoryRequest(conversationId: conversationId, afterSeq: cursor, limit: 200))
            for item in page.messages {
                let released: Released
                if item.contentType == "recall", let messageId = item.content?["messageId"]?.stringValue {
                    released = .recall(conversationId: conversationId, messageId: messageId, eventSeq: item.seq)
                } else {
                    released = .message(item)
                }
                release(ordering.accept(released, seq: item.seq, in: conversationId))
            }
            guard let last = page.messages.last?.seq, page.hasMore else { break }
            cursor = last
        }
    }

    /// After (re)connecting: learn what changed while away and fetch what was missed.
    private func catchUp() async {
        do {
            var more = true
            while more {
                let reply = try await sync(SyncRequest(since: syncVersion, notificationsAfter: notificationSeq))
                for conversation in reply.conversations {
                    let id = conversation.conversationId
                    if let position = ordering.position(of: id) {
                        if conversation.lastSeq > position { try await fill(id, after: position, through: conversation.lastSeq) }
                    } else if !hasSynced {
                        // First sync of this client: start from now; apps page older history themselves.
                        release(ordering.skip(id, through: conversation.lastSeq))
                    } else {
                        try await fill(id, after: 0, through: conversation.lastSeq)
                    }
                }
                if !reply.conversations.isEmpty { emit.yield(.conversationsChanged(reply.conversations)) }
                for notice in reply.notifications {
                    emit.yield(.notification(notice))
                    notificationSeq = max(notificationSeq, notice.seq ?? 0)
                }
                syncVersion = reply.version
                more = reply.hasMore
            }
            hasSynced = true
        } catch {
            logger.debug("sync failed", metadata: ["error": "\(error)"])
        }
    }
}
