import Foundation
import Logging
@testable import ParleyBus
@testable import ParleyCore
import ParleyProtocol
import ParleyStore
import ParleyTasks
import Synchronization
import Testing

/// A provider that records what it is asked to send and answers from a script (then `.sent`).
final class ScriptedProvider: PushProvider {
    private let state = Mutex<(sent: [PushNotification], script: [PushResult])>(([], []))

    init(_ script: [PushResult] = []) {
        state.withLock { $0.script = script }
    }

    func send(_ notification: PushNotification, to token: PushTokenRecord) async -> PushResult {
        state.withLock { state in
            state.sent.append(notification)
            return state.script.isEmpty ? .sent : state.script.removeFirst()
        }
    }

    var sent: [PushNotification] { state.withLock { $0.sent } }
}

@Suite("Push delivery (real store, scripted provider)")
struct PushDeliveryTests {
    let bed: TestBed
    let alice: Caller
    let bob: Caller

    init() async throws {
        bed = try TestBed(pushing: true)
        alice = try await bed.user("alice")
        bob = try await bed.user("bob")
    }

    func delivery(_ provider: ScriptedProvider, attempts: Int = 3) -> PushDelivery {
        PushDelivery(
            chat: bed.chat, feed: bed.pushes!, providers: ["apns": provider], email: nil,
            policy: .init(attempts: attempts, backoff: .milliseconds(10)), logger: Logger(label: "test"))
    }

    func register(_ user: Caller, token: String = String(repeating: "ab", count: 32)) async throws -> String {
        try await bed.chat.registerPushToken(
            PushTokenRegistration(provider: "apns", token: token, deviceId: "phone"), for: user).tokenId
    }

    /// The push tasks the queue holds now (claimed, as a worker would).
    func dueTasks() async throws -> [WorkTask] {
        let now = bed.clock.wall.now()
        return try await bed.store.claimTasks(now: now + 3_600_000, leaseUntil: now + 7_200_000, limit: 100).map {
            WorkTask(id: $0.id, kind: $0.kind, payload: $0.payload, attempt: $0.attempts)
        }
    }

    @Test func anOfflineRecipientGetsOnePushPerMessageEvenWhenTheTaskRunsTwice() async throws {
        let tokenId = try await register(bob)
        _ = try await bed.chat.send(bed.text("first", to: bob.userId), from: alice)
        let sent = try await bed.chat.send(bed.text("hello bob", to: bob.userId), from: alice)
        let tasks = try await dueTasks()
        #expect(tasks.map(\.id).sorted() == tasks.map(\.id).sorted() && tasks.count == 2)
        let provider = ScriptedProvider()
        let push = delivery(provider)
        for task in tasks { #expect(await push.run(task) == .done) }
        // A second run (a worker that died before it acknowledged) sends nothing again.
        for task in tasks { #expect(await push.run(task) == .done) }
        #expect(provider.sent.count == 2)
        let last = try #require(provider.sent.first { $0.messageId == sent.messageId })
        #expect(last.title == "Alice" && last.body == "hello bob" && last.badge == 2 && !last.quiet)
        #expect(last.conversationId == sent.conversationId && last.userId == bob.userId)
        let log = try await bed.chat.pushLog(for: bob, limit: 10).entries
        #expect(log.count == 2 && log.allSatisfy { $0.status == "sent" && $0.tokenId == tokenId && $0.attempts == 1 && $0.sentAt != nil })
        // The sender is never pushed, and has no entries.
        #expect(try await bed.chat.pushLog(for: alice, limit: 10).entries.isEmpty)
    }

    @Test func aRecipientWithASessionCreatesNoTaskAndOneWhoConnectsLaterIsSkipped() async throws {
        _ = try await register(bob)
        bed.presence.publish(bob.userId, devices: [PresenceDevice(sessionId: "s", deviceId: "phone", platform: "ios", status: .online, node: 0)])
        _ = try await bed.chat.send(bed.text("you are here", to: bob.userId), from: alice)
        #expect(try await dueTasks().isEmpty)

        bed.presence.publish(bob.userId, devices: [])
        _ = try await bed.chat.send(bed.text("now you are not", to: bob.userId), from: alice)
        let tasks = try await dueTasks()
        #expect(tasks.count == 1)
        bed.presence.publish(bob.userId, devices: [PresenceDevice(sessionId: "s2", deviceId: "phone", platform: "ios", status: .away, node: 0)])
        let provider = ScriptedProvider()
        #expect(await delivery(provider).run(tasks[0]) == .done)
        #expect(provider.sent.isEmpty)
        #expect(try await bed.chat.pushLog(for: bob, limit: 10).entries.map { [$0.status, $0.reason] } == [["skipped", "online"]])
    }

    @Test func retriesThenSuccessAndThenGivingUp() async throws {
        _ = try await register(bob)
        _ = try await bed.chat.send(bed.text("flaky", to: bob.userId), from: alice)
        let task = try #require(try await dueTasks().first)
        let provider = ScriptedProvider([.retry(reason: "ServiceUnavailable", after: .seconds(2)), .retry(reason: "ServiceUnavailable", after: nil)])
        let push = delivery(provider)
        // Retry-After is followed.
        #expect(await push.run(task) == .retry("1 pushes to retry", after: .seconds(2)))
        #expect(try await bed.chat.pushLog(for: bob, limit: 1).entries.first?.status == "pending")
        guard case .retry = await push.run(task) else { Issue.record("the second failure should be retried"); return }
        #expect(await push.run(task) == .done)
        let entry = try #require(try await bed.chat.pushLog(for: bob, limit: 1).entries.first)
        #expect(entry.status == "sent" && entry.attempts == 3 && entry.reason == nil)

        _ = try await bed.chat.send(bed.text("down", to: bob.userId), from: alice)
        let next = try #require(try await dueTasks().first)
        let down = ScriptedProvider(Array(repeating: .retry(reason: "InternalServerError", after: nil), count: 3))
        let failing = delivery(down, attempts: 2)
        guard case .retry = await failing.run(next) else { Issue.record("expected a retry"); return }
        #expect(await failing.run(next) == .done)
        let failed = try #require(try await bed.chat.pushLog(for: bob, limit: 1).entries.first)
        #expect(failed.status == "failed" && failed.reason == "InternalServerError" && failed.attempts == 2)
        #expect(bed.chat.metrics.push.failed.snapshot["apns|InternalServerError"] == 1)
        #expect(bed.chat.metrics.push.sent.snapshot["apns"] == 1)
    }

    @Test func aGroupMemberWhoComesOnlineDuringRetriesHasTheirPushClosed() async throws {
        _ = try await register(bob)
        let group = try await bed.chat.createGroup(CreateGroup(name: "Team", memberIds: [bob.userId]), by: alice)
        try #require(group.invited.isEmpty)
        let send = SendMessage(
            conversationType: .group, groupId: group.groupId, contentType: "text", content: .object(["text": "meeting"]),
            localId: "g1")
        _ = try await bed.chat.send(send, from: alice)
        let task = try #require(try await dueTasks().first { $0.kind == PushFeed.messageKind })
        let provider = ScriptedProvider([.retry(reason: "ServiceUnavailable", after: nil)])
        let push = delivery(provider)
        guard case .retry = await push.run(task) else { Issue.record("expected a retry"); return }
        bed.presence.publish(bob.userId, devices: [PresenceDevice(sessionId: "s", deviceId: "phone", platform: "ios", status: .online, node: 0)])
        #expect(await push.run(task) == .done)
        #expect(provider.sent.count == 1)
        // Logged once already, the push is closed, not left pending (an online skip in a group
        // is otherwise only counted).
        #expect(try await bed.chat.pushLog(for: bob, limit: 5).entries.map { [$0.status, $0.reason] } == [["skipped", "online"]])
    }

    @Test func aDeadTokenIsDeletedAtOnce() async throws {
        _ = try await register(bob)
        _ = try await bed.chat.send(bed.text("gone?", to: bob.userId), from: alice)
        let task = try #require(try await dueTasks().first)
        #expect(await delivery(ScriptedProvider([.deadToken(reason: "Unregistered")])).run(task) == .done)
        #expect(try await bed.chat.pushTokens(for: bob).tokens.isEmpty)
        #expect(try await bed.chat.pushLog(for: bob, limit: 1).entries.first.map { [$0.status, $0.reason] } == ["failed", "Unregistered"])
    }

    @Test func mutedDisabledAndRecalledAreSkippedWithTheirReason() async throws {
        _ = try await register(bob)
        let provider = ScriptedProvider()
        let push = delivery(provider)
        let first = try await bed.chat.send(bed.text("muted", to: bob.userId), from: alice)
        _ = try await bed.chat.updateSettings(ConversationSettings(muted: true), of: first.conversationId, by: bob)
        for task in try await dueTasks() { _ = await push.run(task) }
        _ = try await bed.chat.updateSettings(ConversationSettings(muted: false), of: first.conversationId, by: bob)

        _ = try await bed.chat.updatePushSettings(PushSettingsUpdate(enabled: false), for: bob)
        _ = try await bed.chat.send(bed.text("disabled", to: bob.userId), from: alice)
        for task in try await dueTasks() { _ = await push.run(task) }
        _ = try await bed.chat.updatePushSettings(PushSettingsUpdate(enabled: true), for: bob)

        let recalled = try await bed.chat.send(bed.text("oops", to: bob.userId), from: alice)
        let tasks = try await dueTasks()
        _ = try await bed.chat.recall(RecallRequest(conversationId: recalled.conversationId, messageId: recalled.messageId), by: alice)
        for task in tasks { _ = await push.run(task) }

        #expect(provider.sent.isEmpty)
        let reasons = try await bed.chat.pushLog(for: bob, limit: 10).entries.map { $0.reason ?? "" }
        #expect(Set(reasons) == ["muted", "disabled", "recalled"])
        #expect(bed.chat.metrics.push.skipped.snapshot == ["muted": 1, "disabled": 1, "recalled": 1])
    }

    @Test func quietHoursAndNoPreviewChangeWhatIsShown() async throws {
        _ = try await register(bob)
        // The whole day is quiet (start = end), and previews are off.
        _ = try await bed.chat.updatePushSettings(
            PushSettingsUpdate(preview: false, quietHours: QuietHoursSetting(start: "08:00", end: "08:00", timeZone: "Asia/Shanghai")), for: bob)
        _ = try await bed.chat.send(bed.text("secret text", to: bob.userId), from: alice)
        let provider = ScriptedProvider()
        for task in try await dueTasks() { _ = await delivery(provider).run(task) }
        let push = try #require(provider.sent.first)
        #expect(push.quiet && push.title == "New message" && push.body.isEmpty && push.badge == 1)
    }

    @Test func quietHoursFollowTheUsersClock() {
        // 2027-01-15 16:00 UTC is 00:00 in Shanghai (UTC+8).
        let midnightInShanghai: Int64 = 1_800_000_000_000 - (1_800_000_000_000 % 86_400_000) + 16 * 3_600_000
        let overNight = PushSettingsRecord.QuietHours(startMinute: 22 * 60, endMinute: 7 * 60, timeZone: "Asia/Shanghai")
        #expect(PushContent.isQuiet(overNight, at: midnightInShanghai))
        #expect(!PushContent.isQuiet(overNight, at: midnightInShanghai + 8 * 3_600_000))
        let overNightInLondon = PushSettingsRecord.QuietHours(startMinute: 22 * 60, endMinute: 7 * 60, timeZone: "Europe/London")
        #expect(PushContent.isQuiet(overNightInLondon, at: midnightInShanghai) == false, "16:00 in London")
        let day = PushSettingsRecord.QuietHours(startMinute: 60, endMinute: 120, timeZone: "Asia/Shanghai")
        #expect(PushContent.isQuiet(day, at: midnightInShanghai + 60 * 60_000))
        #expect(!PushContent.isQuiet(day, at: midnightInShanghai + 120 * 60_000), "the end minute is outside")
    }

    @Test func previewsAreShortAndNameTheKindOfNonText() {
        func record(_ type: String, _ content: String) -> MessageRecord {
            MessageRecord(
                conversationId: "p_1_2", seq: 1, messageId: "m", senderId: "1", localId: nil, contentType: type, content: content,
                atUsers: [], replyTo: nil, createdAt: 0, recalled: false, isEvent: false)
        }
        #expect(PushContent.body(of: record("image", #"{"url":"https://x/y.png"}"#)) == "[image]")
        #expect(PushContent.body(of: record("custom", #"{"customType":"x","data":{}}"#)) == "[message]")
        let long = PushContent.body(of: record("text", "{\"text\":\"\(String(repeating: "长", count: 150))\\nline\"}"))
        #expect(long.count == 101 && long.hasSuffix("…"))
        #expect(PushContent.body(of: record("text", #"{"text":"a\nb"}"#)) == "a b")
        // One character of thousands of combining marks: cut by bytes, so no payload outgrows a provider's 4 KiB.
        let heavy = "a" + String(repeating: "\u{0301}", count: 5_000)
        #expect(heavy.count == 1)
        let cut = PushContent.body(of: record("text", "{\"text\":\"ok \(heavy)\"}"))
        #expect(cut == "ok …" && cut.utf8.count <= 400)
    }
}
