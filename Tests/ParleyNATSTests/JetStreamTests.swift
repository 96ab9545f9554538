import Foundation
import Logging
import NIOCore
import NATSServerFixture
import ParleyNATS
import Testing

@Suite("JetStream subset against a real nats-server -js", .serialized)
struct JetStreamTests {
    private func connected(_ server: NATSServerProcess) async throws -> JetStream {
        var logger = Logger(label: "js-test")
        logger.logLevel = .error
        let client = try NATSClient(url: server.url, logger: logger)
        try await client.connect()
        return JetStream(client: client)
    }

    @Test func streamsPublishWithAckAndDedupe() async throws {
        let server = try NATSServerProcess()
        defer { server.remove() }
        try await server.ready()
        let js = try await connected(server)
        let config = try await js.ensureStream(.init(name: "EVENTS", subjects: ["events.>"]))
        #expect(config.subjects == ["events.>"])
        try await js.ensureStream(.init(name: "EVENTS", subjects: ["events.>", "more.>"]))  // updates in place

        let first = try await js.publish("events.a", payload: ByteBuffer(string: "one"), messageId: "m-1")
        let again = try await js.publish("events.a", payload: ByteBuffer(string: "one"), messageId: "m-1")
        let second = try await js.publish("more.b", payload: ByteBuffer(string: "two"))
        #expect(first.stream == "EVENTS" && first.seq == 1 && first.duplicate != true)
        #expect(again.seq == 1 && again.duplicate == true, "a repeated message id is stored once")
        #expect(second.seq == 2)
        await #expect(throws: NATSError.noResponders) {
            _ = try await js.publish("nowhere.x", payload: ByteBuffer(string: "lost"))
        }
        try await js.deleteStream("EVENTS")
        await js.client.close()
    }

    /// A work queue: a message not acknowledged comes back; nak redelivers, term stops it,
    /// and the delivery limit ends redelivery.
    @Test func pullConsumersRedeliverUntilAcknowledged() async throws {
        let server = try NATSServerProcess()
        defer { server.remove() }
        try await server.ready()
        let js = try await connected(server)
        try await js.ensureStream(.init(name: "TASKS", subjects: ["tasks.>"], retention: "workqueue"))
        try await js.ensureConsumer(stream: "TASKS", durable: "workers", ackWait: .seconds(1), maxDeliver: 3)
        for name in ["push-1", "push-2", "hook-1"] { _ = try await js.publish("tasks.\(name)", payload: ByteBuffer(string: name)) }

        let first = try #require(try await js.next(stream: "TASKS", durable: "workers"))
        #expect(String(buffer: first.message.payload) == "push-1" && first.deliveryCount == 1)
        try first.ack()
        let second = try #require(try await js.next(stream: "TASKS", durable: "workers"))
        #expect(String(buffer: second.message.payload) == "push-2")
        try second.nak()
        let third = try #require(try await js.next(stream: "TASKS", durable: "workers"))
        let redelivered = String(buffer: third.message.payload) == "push-2" ? third : try #require(try await js.next(stream: "TASKS", durable: "workers"))
        #expect(String(buffer: redelivered.message.payload) == "push-2" && redelivered.deliveryCount == 2)
        try redelivered.term()
        // hook-1 is never acknowledged: it comes back until the delivery limit.
        var counts: [Int] = []
        while let delivered = try await js.next(stream: "TASKS", durable: "workers", wait: .seconds(2)) {
            #expect(String(buffer: delivered.message.payload) == "hook-1")
            counts.append(delivered.deliveryCount)
        }
        #expect(counts == [1, 2, 3] || counts == [2, 3], "redelivered after the ack wait, at most 3 times: \(counts)")
        await js.client.close()
    }

    @Test func keyValueBucketsExpireByThemselves() async throws {
        let server = try NATSServerProcess()
        defer { server.remove() }
        try await server.ready()
        let js = try await connected(server)
        try await js.ensureBucket("presence", maxAge: .seconds(1))
        try await js.put(bucket: "presence", key: "user1", value: ByteBuffer(string: "online@node1"))
        try await js.put(bucket: "presence", key: "user1", value: ByteBuffer(string: "online@node2"))
        #expect(try await js.get(bucket: "presence", key: "user1").map { String(buffer: $0) } == "online@node2")
        #expect(try await js.get(bucket: "presence", key: "nobody") == nil)
        // Not refreshed: gone after the max age.
        let deadline = ContinuousClock.now + .seconds(10)
        while try await js.get(bucket: "presence", key: "user1") != nil {
            #expect(ContinuousClock.now < deadline)
            if ContinuousClock.now >= deadline { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        await js.client.close()
    }
}
