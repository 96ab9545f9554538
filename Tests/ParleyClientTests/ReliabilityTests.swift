import Foundation
import ParleyClient
import ParleyProtocol
import Testing

/// The SDK against a real node: dropped connections, restarts, token expiry, ordering.
@Suite("Client reliability", .serialized)
struct ReliabilityTests {

    @Test func sendsSurviveDroppedConnectionsExactlyOnce() async throws {
        let node = TestNode()
        try await node.start()
        let alice = try await node.register(TestNode.uniqueName("alice")), bob = try await node.register(TestNode.uniqueName("bob"))
        let bobLog = EventLog(bob)
        await alice.start()
        await bob.start()
        let bobId = try #require(await bob.userId)

        let count = 40
        let acks = try await withThrowingTaskGroup(of: SendAck.self) { group in
            for index in 0..<count {
                group.addTask { try await alice.send(text: "m\(index)", to: bobId, localId: "local-\(index)") }
                if index % 10 == 5 { await alice.dropConnection() }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(acks.map(\.seq).sorted() == (1...Int64(count)).map { $0 })
        #expect(Set(acks.map(\.localId)).count == count)

        try await bobLog.waitUntil { await $0.messages.count >= count }
        let received = await bobLog.messages
        #expect(received.map(\.seq) == (1...Int64(count)).map { $0 }, "in order, each once")
        #expect(Set(received.compactMap(\.localId)) == Set((0..<count).map { "local-\($0)" }))
        await alice.stop()
        await bob.stop()
        await node.remove()
    }

    @Test func sendsWaitOutANodeRestart() async throws {
        let node = TestNode()
        try await node.start()
        let alice = try await node.register(TestNode.uniqueName("alice")), bob = try await node.register(TestNode.uniqueName("bob"))
        let aliceLog = EventLog(alice)
        await alice.start()
        try await aliceLog.waitUntil { await $0.connections == 1 }
        let bobId = try #require(await bob.userId)
        _ = try await alice.send(text: "before", to: bobId)

        await node.stop()
        let queued = Task { try await alice.send(text: "during", to: bobId, localId: "during-restart") }
        try await node.start()
        let ack = try await queued.value
        #expect(ack.seq == 2)
        try await aliceLog.waitUntil { await $0.connections >= 2 }

        await bob.start()
        let history = try await bob.history(HistoryRequest(conversationId: ack.conversationId, afterSeq: 0))
        #expect(history.messages.map(\.localId) == [history.messages.first?.localId, "during-restart"])
        await alice.stop()
        await bob.stop()
        await node.remove()
    }

    @Test func missedMessagesAreFilledInOrderAfterReconnecting() async throws {
        let node = TestNode()
        try await node.start()
        let bobName = TestNode.uniqueName("bob")
        let alice = try await node.register(TestNode.uniqueName("alice"))
        // Bob comes back slowly, so messages pile up while he is away.
        let bob = try await node.register(bobName, backoff: Backoff(base: .milliseconds(600), cap: .milliseconds(600), jitter: 0))
        let bobLog = EventLog(bob)
        await bob.start()
        await alice.start()
        try await bobLog.waitUntil { await $0.connections == 1 }
        let bobId = try #require(await bob.userId)

        let first = try await alice.send(text: "one", to: bobId)
        try await bobLog.waitUntil { await $0.messages.count == 1 }
        await bob.dropConnection()
        for index in 2...6 { _ = try await alice.send(text: "n\(index)", to: bobId) }

        try await bobLog.waitUntil { await $0.messages.count >= 6 }
        let received = await bobLog.messages
        #expect(received.map(\.seq) == [1, 2, 3, 4, 5, 6])
        #expect(received.allSatisfy { $0.conversationId == first.conversationId })
        #expect(await bobLog.connections == 2)
        await alice.stop()
        await bob.stop()
        await node.remove()
    }

    @Test func aThirdDeviceSeesBothSidesInOrder() async throws {
        let node = TestNode()
        try await node.start()
        let bobName = TestNode.uniqueName("bob")
        let alice = try await node.register(TestNode.uniqueName("alice")), bob = try await node.register(bobName)
        let watcher = try await node.login(bobName, device: "tablet")
        let watcherLog = EventLog(watcher)
        await watcher.start()
        try await watcherLog.waitUntil { await $0.connections == 1 }
        await alice.start()
        await bob.start()
        let aliceId = try #require(await alice.userId), bobId = try #require(await bob.userId)

        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<30 {
                group.addTask { _ = try await alice.send(text: "a\(index)", to: bobId) }
                group.addTask { _ = try await bob.send(text: "b\(index)", to: aliceId) }
            }
            try await group.waitForAll()
        }
        try await watcherLog.waitUntil { await $0.messages.count >= 60 }
        #expect(await watcherLog.messages.map(\.seq) == (1...60).map { Int64($0) })
        await alice.stop()
        await bob.stop()
        await watcher.stop()
        await node.remove()
    }

    @Test func tokensAreRefreshedBeforeTheyExpire() async throws {
        let node = TestNode { $0.tokens.accessSeconds = 2 }
        try await node.start()
        let alice = try await node.register(TestNode.uniqueName("alice"))
        let log = EventLog(alice)
        let original = try await alice.accessToken()
        await alice.start()
        try await log.waitUntil { await $0.connections == 1 }

        // The refresh happens on its own, before the 2 s lifetime is over.
        let deadline = ContinuousClock.now + .seconds(10)
        var current = original
        while current == original, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(50))
            current = try await alice.currentAccessToken()
        }
        #expect(current != original)
        // After the original expired, the client still works over HTTP and reconnects.
        try await Task.sleep(for: .seconds(2))
        _ = try await alice.conversations()
        await alice.dropConnection()
        try await log.waitUntil { await $0.connections == 2 }
        await alice.stop()
        await node.remove()
    }

    @Test func aReplacedSessionStopsInsteadOfFighting() async throws {
        let node = TestNode()
        try await node.start()
        let username = TestNode.uniqueName("carol")
        let first = try await node.register(username, device: "phone")
        let log = EventLog(first)
        await first.start()
        try await log.waitUntil { await $0.connections == 1 }
        let second = try await node.login(username, device: "phone")
        await second.start()
        try await log.waitUntil { events in
            await events.events.contains { if case .kicked(let reason) = $0 { reason == "replaced" } else { false } }
        }
        await first.stop()
        await second.stop()
        await node.remove()
    }
}
