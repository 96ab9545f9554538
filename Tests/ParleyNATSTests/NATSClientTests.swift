import Foundation
import Logging
import NIOCore
import NATSServerFixture
import ParleyNATS
import Testing

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
