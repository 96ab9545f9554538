import Foundation
import Logging
import ParleyClient
import ParleyServer
import Synchronization
import Testing

/// A real Parley node in this process, on a loopback port, with a temporary data directory.
final class TestNode: Sendable {
    let directory: String
    let configuration: Mutex<ServerConfiguration>
    private let task = Mutex<Task<Void, any Error>?>(nil)
    private let boundPort = Mutex<Int>(0)

    init(_ configure: (inout ServerConfiguration) -> Void = { _ in }) {
        directory = NSTemporaryDirectory() + "parley-client-\(UUID().uuidString)"
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.dataDirectory = directory
        configuration.bcryptCost = 4
        configuration.logLevel = .warning
        configure(&configuration)
        self.configuration = Mutex(configuration)
    }

    var port: Int { boundPort.withLock { $0 } }
    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// Starts the node (on the port it had before, after a restart).
    func start() async throws {
        var configuration = self.configuration.withLock { $0 }
        if port != 0 { configuration.port = port }
        let ready = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "test-node")
        // Stopping a node by cancelling it makes Hummingbird log errors about closed channels.
        logger.logLevel = .critical
        let node = ParleyNode(configuration: configuration, logger: logger)
        task.withLock {
            $0 = Task {
                try await node.run { port in ready.continuation.yield(port) }
            }
        }
        for await port in ready.stream {
            boundPort.withLock { $0 = port }
            break
        }
    }

    func stop() async {
        let running = task.withLock { task -> Task<Void, any Error>? in
            defer { task = nil }
            return task
        }
        running?.cancel()
        _ = await running?.result
    }

    func remove() async {
        await stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    static let fastBackoff = Backoff(base: .milliseconds(50), cap: .milliseconds(400))

    /// A username no other test uses.
    static func uniqueName(_ prefix: String) -> String { prefix + "-" + UUID().uuidString.prefix(8).lowercased() }

    /// A client for a new user `username` on this node, logged in but not started.
    func register(_ username: String, device: String = "phone", backoff: Backoff = fastBackoff) async throws -> ParleyClient {
        let client = ParleyClient(configuration: ClientConfiguration(serverURL: url, deviceId: device, reconnect: backoff, gapTimeout: .milliseconds(200)))
        try await client.register(username: username, password: "correct horse")
        return client
    }

    /// A client for an existing user, logged in on another device, not started.
    func login(_ username: String, device: String, backoff: Backoff = fastBackoff) async throws -> ParleyClient {
        let client = ParleyClient(configuration: ClientConfiguration(serverURL: url, deviceId: device, reconnect: backoff, gapTimeout: .milliseconds(200)))
        try await client.login(username: username, password: "correct horse")
        return client
    }
}

/// Collects a client's events and waits for conditions on them.
actor EventLog {
    private(set) var events: [ClientEvent] = []
    private var task: Task<Void, Never>?

    init(_ client: ParleyClient) {
        let stream = client.events
        Task { await self.consume(stream) }
    }

    private func consume(_ stream: AsyncStream<ClientEvent>) async {
        for await event in stream { events.append(event) }
    }

    var messages: [MessagePayloadSummary] {
        events.compactMap { if case .message(let m) = $0 { MessagePayloadSummary(conversationId: m.conversationId, seq: m.seq, localId: m.localId, text: m.content?["text"]?.stringValue) } else { nil } }
    }

    var connections: Int { events.filter { if case .connected = $0 { true } else { false } }.count }

    /// Waits (polling the log, at most `timeout`) until `condition` holds.
    func waitUntil(timeout: Duration = .seconds(20), _ condition: @Sendable (EventLog) async -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while !(await condition(self)) {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within \(timeout); events: \(events.suffix(5))")
                throw CancellationError()
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

struct MessagePayloadSummary: Sendable, Equatable {
    var conversationId: String
    var seq: Int64
    var localId: String?
    var text: String?
}
