import Foundation
import ParleyClient
import ParleyProtocol
import Testing

/// The SDK's push calls against a real node whose push webhook points at a closed port: the
/// push is attempted, fails, and the log says so.
@Suite("Client offline push", .serialized)
struct PushTests {
    @Test func aDeviceRegistersChoosesSettingsAndReadsItsPushLog() async throws {
        let node = TestNode { configuration in
            configuration.push.webhookURL = "http://127.0.0.1:9/push"  // the discard port: nothing listens
            configuration.push.attempts = 1
        }
        try await node.start()
        let alice = try await node.register(TestNode.uniqueName("alice")), bob = try await node.register(TestNode.uniqueName("bob"))
        await alice.start()
        let registered = try await bob.registerPushToken(provider: "webhook", token: "bobs-phone")
        #expect(try await bob.pushTokens().map(\.tokenId) == [registered.tokenId])
        let settings = try await bob.updatePushSettings(PushSettingsUpdate(preview: false))
        #expect(settings == PushSettings(enabled: true, preview: false, quietHours: nil))

        // Bob has no session: the message becomes a push, which the closed port refuses.
        let bobId = try #require(await bob.userId)
        let ack = try await alice.send(text: "are you there?", to: bobId)
        let deadline = ContinuousClock.now + .seconds(20)
        var entry: PushLogEntry?
        while entry?.status != "failed", ContinuousClock.now < deadline {
            entry = try await bob.pushLog().first { $0.messageId == ack.messageId }
            if entry?.status != "failed" { try await Task.sleep(for: .milliseconds(50)) }
        }
        let logged = try #require(entry)
        #expect(logged.status == "failed" && logged.provider == "webhook" && logged.tokenId == registered.tokenId)
        #expect(logged.attempts == 1 && (logged.reason ?? "").hasPrefix("transport"))
        #expect(try await alice.pushLog().isEmpty, "the sender is never pushed")

        try await bob.deletePushToken(registered.tokenId)
        #expect(try await bob.pushTokens().isEmpty)
        await alice.stop()
        await node.remove()
    }
}
