import Foundation
import Logging
import NIOCore
import ParleyNATS
import Testing

/// A real `nats-server -js` on a free loopback port, in a temporary directory.
final class NATSServerProcess: Sendable {
    let port: Int
    let directory: String
    let process: Process

    init(port: Int? = nil) throws {
        self.port = try port ?? Self.freePort()
        directory = NSTemporaryDirectory() + "parley-nats-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary())
        process.arguments = ["-a", "127.0.0.1", "-p", "\(self.port)", "-js", "-sd", directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    /// Waits until the server accepts connections.
    func ready() async throws {
        for _ in 0..<100 {
            if (try? Self.probe(port)) == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw NATSError.notConnected
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    func remove() {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    var url: String { "nats://127.0.0.1:\(port)" }

    static func binary() -> String {
        for path in ["/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"]
        where FileManager.default.isExecutableFile(atPath: path) { return path }
        return "nats-server"
    }

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func probe(_ port: Int) throws -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

@Suite("NATS client against a real nats-server", .serialized)
struct NATSClientTests {
    var logger: Logger {
        var logger = Logger(label: "nats-test")
        logger.logLevel = .error
        return logger
    }

    private func text(_ message: NATSMessage) -> String { String(buffer: message.payload) }

    @Test func publishSubscribeQueueGroupsAndRequests() async throws {
        let server = try NATSServerProcess()
        defer { server.remove() }
        try await server.ready()
        let a = try NATSClient(url: server.url, logger: logger), b = try NATSClient(url: server.url, logger: logger)
        try await a.connect()
        try await b.connect()

        let all = b.subscribe("chat.>")
        let workers = (0..<2).map { _ in b.subscribe("work", queue: "nodes") }
        try await b.flush()
        for index in 0..<10 { try a.publish("chat.room.\(index)", payload: ByteBuffer(string: "m\(index) 你好")) }
        for index in 0..<6 { try a.publish("work", payload: ByteBuffer(string: "job\(index)")) }
        try a.publish("chat.headers", payload: ByteBuffer(string: "h"), headers: ["Nats-Msg-Id": "abc"])
        try await a.flush()

        var iterator = all.messages.makeAsyncIterator()
        var received: [String] = []
        for _ in 0..<11 { received.append(text(try #require(await iterator.next()))) }
        #expect(Array(received.prefix(10)) == (0..<10).map { "m\($0) 你好" }, "in order")
        #expect(received.last == "h")

        // Each queued job goes to exactly one worker.
        try await b.flush()
        var jobs: [String] = []
        for worker in workers {
            b.unsubscribe(worker)
            for await message in worker.messages { jobs.append(text(message)) }
        }
        #expect(jobs.sorted() == (0..<6).map { "job\($0)" })

        // Request/reply through the inbox.
        let service = b.subscribe("echo")
        try await b.flush()
        let responder = Task {
            for await message in service.messages {
                if let reply = message.replyTo { try? b.publish(reply, payload: ByteBuffer(string: "echo: " + String(buffer: message.payload))) }
            }
        }
        let answer = try await a.request("echo", payload: ByteBuffer(string: "ping"), timeout: .seconds(5))
        #expect(text(answer) == "echo: ping")
        await #expect(throws: NATSError.noResponders) {
            _ = try await a.request("nobody.listens", timeout: .seconds(2))
        }
        responder.cancel()
        await a.close()
        await b.close()
    }

    /// A restarted server: the client reconnects by itself, subscribes again, and delivers
    /// what was published while it was away.
    @Test func reconnectsAndResubscribesAfterTheServerRestarts() async throws {
        let first = try NATSServerProcess()
        try await first.ready()
        let port = first.port
        let publisher = try NATSClient(url: first.url, logger: logger), subscriber = try NATSClient(url: first.url, logger: logger)
        try await publisher.connect()
        try await subscriber.connect()
        let subscription = subscriber.subscribe("events")
        try await subscriber.flush()
        try publisher.publish("events", payload: ByteBuffer(string: "before"))
        var iterator = subscription.messages.makeAsyncIterator()
        #expect(text(try #require(await iterator.next())) == "before")

        first.remove()
        let second = try NATSServerProcess(port: port)
        defer { second.remove() }
        try await second.ready()
        // Both clients find the new server and the subscription is back.
        let deadline = ContinuousClock.now + .seconds(15)
        while !(publisher.isConnected && subscriber.isConnected) {
            #expect(ContinuousClock.now < deadline)
            if ContinuousClock.now >= deadline { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        try await subscriber.flush()
        try publisher.publish("events", payload: ByteBuffer(string: "after"))
        #expect(text(try #require(await iterator.next())) == "after")
        await publisher.close()
        await subscriber.close()
    }
}
