import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import HummingbirdWSCompression
import Logging
import NIOCore
import ParleyBus
import ParleyNATS
import ParleyCore
import ParleyMedia
import ParleyPostgres
import ParleyPush
import ParleySQLite
import ParleyStore
import ParleyTasks
import ParleyWeb
import ServiceLifecycle

/// One Parley node: store, bus, domain and gateway, served over HTTP and WebSocket.
public struct ParleyNode: Sendable {
    public let configuration: ServerConfiguration
    let logger: Logger

    public init(configuration: ServerConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Opens the store and serves until shutdown (SIGINT/SIGTERM).
    /// - Parameter onListening: called with the bound port once the node accepts connections.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let config = configuration
        // The directory holds every password hash and message: only this user may enter it.
        if !FileManager.default.fileExists(atPath: config.dataDirectory) {
            try FileManager.default.createDirectory(
                atPath: config.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let opened = try await openStore()
        do {
            try await serve(store: opened.store, onListening: onListening)
        } catch {
            await opened.close()
            throw error
        }
        await opened.close()
    }

    private func serve(store: any Store, onListening: @escaping @Sendable (Int) async -> Void) async throws {
        let config = configuration
        let cluster = try await joinCluster()
        defer { if let cluster { Task { await cluster.client.close() } } }
        let bus: any Bus = cluster?.bus ?? LocalBus()
        let directory: any PresenceDirectory = cluster?.directory ?? LocalPresenceDirectory()
        let ids = Snowflake(node: config.nodeId)
        let rules = try ContentRules(path: config.filterRules)
        let hook = try config.webhookURL.map {
            WebhookSendHook(
                call: WebhookCall(url: try WebhookCall.url($0, setting: "the webhook URL"), timeout: .milliseconds(config.webhookTimeoutMs)),
                failOpen: config.webhookFailOpen)
        }
        if hook != nil, config.webhookFailOpen {
            logger.warning(
                "the pre-send webhook fails open: when it is down or slow, messages go through unchecked (--webhook-fail-open false to refuse them)")
        }
        let eventWebhook = try config.eventWebhookURL.map {
            EventWebhook(
                call: WebhookCall(
                    url: try WebhookCall.url($0, setting: "the event webhook URL"), timeout: .milliseconds(config.eventWebhookTimeoutMs)),
                secret: config.eventWebhookSecret)
        }
        let tasks = try await taskQueue(store: store, cluster: cluster)
        // One HTTP client (pooled, HTTP/2 where offered) for every push provider.
        let pushClient = config.push.isOn ? try PushHTTP.makeClient(caFile: config.push.caFile) : nil
        let mediaClient = try NodeMedia.makeClient(config.media)
        do {
            try await serveNode(store: store, cluster: cluster, bus: bus, directory: directory, ids: ids, rules: rules, hook: hook,
                eventWebhook: eventWebhook, tasks: tasks, pushClient: pushClient, mediaClient: mediaClient, onListening: onListening)
        } catch {
            try? await pushClient?.shutdown()
            try? await mediaClient?.shutdown()
            throw error
        }
        try? await pushClient?.shutdown()
        try? await mediaClient?.shutdown()
    }

    /// The domain, the gateway and the services, on what `serve` opened.
    private func serveNode(
        store: any Store, cluster: Cluster?, bus: any Bus, directory: any PresenceDirectory, ids: Snowflake, rules: ContentRules,
        hook: WebhookSendHook?, eventWebhook: EventWebhook?, tasks: any TaskQueue, pushClient: HTTPClient?, mediaClient: HTTPClient?,
        onListening: @escaping @Sendable (Int) async -> Void
    ) async throws {
        let config = configuration
        // On the store's own queue a push task commits with its message.
        var storedWithMessages: (@Sendable (Int) -> Void)?
        if let storeQueue = tasks as? StoreTaskQueue { storedWithMessages = { storeQueue.stored($0) } }
        let pushes = pushClient == nil ? nil : PushFeed(queue: tasks, directory: directory, storedWithMessages: storedWithMessages)
        let chat = Chat(
            store: store, bus: bus, limits: config.limits, ids: ids, rules: rules, hook: hook,
            events: eventWebhook == nil ? nil : EventFeed(queue: tasks), pushes: pushes, logger: logger)
        let delivery = try pushes.map { feed in
            let providers = try PushProviders(config.push, client: pushClient!)
            logger.notice("offline push on", metadata: ["providers": "\((providers.providers.keys.sorted() + (providers.email == nil ? [] : ["email"])).joined(separator: ","))"])
            return PushDelivery(
                chat: chat, feed: feed, providers: providers.providers, email: providers.email,
                policy: PushDelivery.Policy(
                    attempts: config.push.attempts, backoff: .milliseconds(config.push.backoffMs),
                    emailDelay: .seconds(config.push.emailDelaySeconds), lastTaskAttempt: config.taskAttempts),
                logger: logger)
        }
        let hasher = BcryptHasher(cost: UInt8(config.bcryptCost))
        let throttle = LoginThrottle(limits: config.loginLimits)
        if let cluster { cluster.shareLoginFailures(throttle, logger: logger) }
        let accounts = Accounts(
            store: store, bus: bus, hasher: hasher, signer: AccessTokenSigner(secret: try await jwtSecret(store: store)),
            lifetimes: config.tokens, ids: ids, decoyHash: try await hasher.hash("decoy-password-for-timing"),
            throttle: throttle, metrics: chat.metrics,
            registrations: KeyedRateLimit("registrations from this address", rate: config.registerRate, burst: config.registerBurst),
            refreshes: KeyedRateLimit("token refreshes from this address", rate: config.refreshRate, burst: config.refreshBurst))
        let registry = SessionRegistry(bus: bus, forgetRoster: { chat.forgetRoster($0) }, forgetProfile: { chat.forgetProfile($0) })
        bus.attach(registry)
        let presence = Presence(chat: chat, directory: directory, node: config.nodeId)
        let gateway = Gateway(chat: chat, presence: presence, registry: registry, configuration: config, logger: logger)

        let media = try await NodeMedia.open(
            config.media, dataDirectory: config.dataDirectory, store: store, metrics: chat.metrics.media, client: mediaClient,
            clustered: cluster != nil, logger: logger)

        let router = Router(context: ParleyRequestContext.self)
        Routes(
            chat: chat, accounts: accounts, presence: presence, gateway: gateway, tasks: tasks,
            addresses: ClientAddress(trustedProxies: Set(config.trustedProxies)), media: media,
            web: try Self.webClient(config.web, logger: logger)
        ).add(to: router)
        let app = Application(
            router: router,
            server: webSocketServer(gateway: gateway, accounts: accounts),
            configuration: .init(address: .hostname(config.host, port: config.port), serverName: "parley"),
            services: [IdleSweep(gateway: gateway), TaskWorkers(queue: tasks, eventWebhook: eventWebhook, push: delivery),
                       MediaCollector(media: media, logger: logger)]
                + (rules.path == nil ? [] : [RulesWatch(rules: rules, logger: logger)])
                + (delivery == nil ? [] : [PushLogPrune(chat: chat, days: config.push.logDays, logger: logger)])
                + (cluster.map { [PresenceHeartbeat(directory: $0.directory)] } ?? []),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? config.port)
            },
            logger: logger)
        // The drain is last, so it is the first to hear of a graceful shutdown: sessions are
        // told to reconnect before the HTTP server stops.
        let group = ServiceGroup(configuration: .init(
            services: [app, Drain(gateway: gateway, logger: logger, afterwards: { await cluster?.directory.leave() })],
            gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    /// The browser client this node serves: the built-in one, or a folder's for work on it.
    private static func webClient(_ config: WebClientConfiguration, logger: Logger) throws -> WebClientSource? {
        guard config.enabled else { return nil }
        if let directory = config.directory {
            let url = URL(fileURLWithPath: directory)
            _ = try WebClient.read(directory: url)  // fail at start, not on the first page load
            logger.notice("web client served from a folder, uncached", metadata: ["directory": "\(directory)"])
            return .directory(url)
        }
        return .embedded(try WebClient(files: WebClientFiles.all))
    }

    /// What a node of a cluster shares with the others through NATS.
    private struct Cluster {
        var client: NATSClient
        var directory: ClusterPresenceDirectory
        var bus: NATSBus

        /// Every node hears of every node's failed logins (`parley.login`), so the throttle
        /// counts an attacker's guesses across the cluster. Rare and small: sent to all nodes.
        func shareLoginFailures(_ throttle: LoginThrottle, logger: Logger) {
            let client = self.client
            _ = client.subscribe("parley.login") { message in
                guard let event = try? JSONDecoder().decode(LoginThrottle.Event.self, from: Data(message.payload.readableBytesView)) else { return }
                throttle.apply(event)
            }
            throttle.share { event in
                guard let data = try? JSONEncoder().encode(event) else { return }
                do {
                    try client.publish("parley.login", payload: ByteBuffer(bytes: data))
                } catch {
                    logger.warning("login failure not shared with the cluster", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    /// Joins the cluster when a NATS URL is configured: the bus and the shared presence directory.
    private func joinCluster() async throws -> Cluster? {
        guard let url = configuration.natsURL else { return nil }
        let node = configuration.nodeId
        // No echo: the node delivers to its own sessions directly, not through NATS.
        let client = try NATSClient(url: url, name: "parley-node-\(node)", echo: false, logger: logger)
        try await client.connect()
        let directory = ClusterPresenceDirectory(
            jetStream: JetStream(client: client), node: node, maxAge: .seconds(configuration.presenceTTLSeconds), logger: logger)
        try await directory.start()
        return Cluster(client: client, directory: directory, bus: NATSBus(client: client, node: node, directory: directory, logger: logger))
    }

    /// The durable work queue: JetStream in a cluster, the store's table otherwise.
    private func taskQueue(store: any Store, cluster: Cluster?) async throws -> any TaskQueue {
        let policy = RetryPolicy(
            maxAttempts: configuration.taskAttempts, backoff: RetryPolicy.exponential(from: .milliseconds(configuration.taskBackoffMs)))
        guard let cluster else { return StoreTaskQueue(store: store, policy: policy, logger: logger) }
        // A delivered task comes back to another worker after the ack wait: longer than the
        // longest run (an event webhook call, bounded by its timeout).
        // A push batch makes up to 100 calls, 16 at a time, each bounded by the push timeout.
        let pushRun = Duration.milliseconds(configuration.push.timeoutMs * 7) + .seconds(30)
        let ackWait = max(Duration.milliseconds(configuration.eventWebhookTimeoutMs * 2) + .seconds(5), configuration.push.isOn ? pushRun : .zero)
        let queue = JetStreamTaskQueue(jetStream: JetStream(client: cluster.client), policy: policy, ackWait: ackWait, logger: logger)
        try await queue.start()
        return queue
    }

    /// The configured store: PostgreSQL with a database URL, the embedded SQLite otherwise.
    private func openStore() async throws -> (store: any Store, close: @Sendable () async -> Void) {
        if let url = configuration.databaseURL {
            let store = try await PostgresStore.open(url: url, poolSize: configuration.databasePoolSize, logger: logger)
            return (store, { await store.close() })
        }
        let path = configuration.dataDirectory + "/parley.sqlite"
        // Made owner-only before SQLite opens it; SQLite gives its -wal and -shm files the same mode.
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw ConfigurationError("cannot create \(path)")
            }
        }
        let store = try SQLiteStore(
            path: path,
            durability: SQLiteStore.Durability(rawValue: configuration.durability) ?? .full, logger: logger)
        return (store, { store.close() })
    }

    /// HTTP/1 for the API, upgraded to WebSocket sessions on `/v1/ws`; a refused upgrade is
    /// answered by the router like any request.
    private func webSocketServer(gateway: Gateway, accounts: Accounts) -> HTTPServerBuilder {
        let metrics = gateway.chat.metrics
        let maxIdLength = configuration.limits.maxClientIdLength
        return HTTPServerBuilder { responder in
            SessionChannel(
                responder: responder, http1: .init(idleTimeout: .seconds(120)),
                admit: { head in
                    metrics.connectionAttempts.add()
                    return await DeviceIdentity.admitted(head, accounts: accounts, maxIdLength: maxIdLength)
                },
                open: { identity, deflate, channel in gateway.open(identity, deflate: deflate, channel: channel) },
                maxFrameSize: gateway.hardFrameLimit, handshakeTimeout: .seconds(Int64(configuration.handshakeTimeout)))
        }
    }

    /// The configured secret; without one, on a shared database the one kept there (made by
    /// the first node to start, so every node of a cluster accepts every node's tokens), and
    /// on the embedded store the one kept in the data directory. Either survives restarts.
    private func jwtSecret(store: any Store) async throws -> [UInt8] {
        if let secret = configuration.jwtSecret {
            guard secret.utf8.count >= 32 else { throw ConfigurationError("the JWT secret must be at least 32 bytes") }
            return Array(secret.utf8)
        }
        let path = configuration.dataDirectory + "/jwt-secret"
        if configuration.databaseURL != nil {
            // A node that kept its secret in its data directory before proposes that one, so
            // its tokens stay valid.
            let kept = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
            let proposed = kept.flatMap { $0.utf8.count >= 32 ? $0 : nil } ?? Self.randomSecret()
            return Array(try await store.sharedSetting("jwt-secret", proposed: proposed).utf8)
        }
        return try fileSecret(path: path)
    }

    /// 32 random bytes as 64 hex digits.
    private static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// The secret kept in the data directory, made on first start (mode 0600).
    private func fileSecret(path: String) throws -> [UInt8] {
        if let existing = FileManager.default.contents(atPath: path), existing.count >= 32 {
            return Array(existing)
        }
        let text = Array(Self.randomSecret().utf8)
        guard FileManager.default.createFile(atPath: path, contents: Data(text), attributes: [.posixPermissions: 0o600]) else {
            throw ConfigurationError("cannot write \(path)")
        }
        return text
    }
}

/// A configuration that cannot work.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reloads the sensitive-word rules when their file changes, for as long as the node runs.
struct RulesWatch: Service {
    let rules: ContentRules
    let logger: Logger
    func run() async throws {
        await cancelWhenGracefulShutdown {
            await rules.watch { count in logger.notice("content rules reloaded", metadata: ["rules": "\(count)"]) }
        }
    }
}

/// Graceful drain: when the node is asked to stop (SIGTERM, SIGINT), every session is told to
/// reconnect (close 1012, "service restart") and the node waits, at most 10 s, for them to go,
/// so clients move to another node. A send in flight still commits; its ack may not reach the
/// client, which resends under the same `localId` and gets the same ack.
struct Drain: Service {
    let gateway: Gateway
    let logger: Logger
    /// Once the sessions are gone (in a cluster: the node's id is released).
    let afterwards: @Sendable () async -> Void

    func run() async throws {
        try? await gracefulShutdown()
        let sessions = gateway.registry.all()
        logger.notice("draining", metadata: ["sessions": "\(sessions.count)"])
        for session in sessions { session.close(code: CloseCodes.serviceRestart, reason: "node shutting down; reconnect") }
        let deadline = ContinuousClock.now + .seconds(10)
        while gateway.registry.counts.sessions > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        await afterwards()
    }
}

/// Keeps this node's presence entries alive in the cluster's bucket, for as long as the node runs.
struct PresenceHeartbeat: Service {
    let directory: ClusterPresenceDirectory
    func run() async throws {
        await cancelWhenGracefulShutdown { await directory.heartbeat() }
    }
}

/// The idle-session sweep, run for as long as the node runs.
struct IdleSweep: Service {
    let gateway: Gateway
    func run() async throws {
        await cancelWhenGracefulShutdown {
            await gateway.sweepIdleSessions()
        }
    }
}
