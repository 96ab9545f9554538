import Foundation
import ParleyClient
import ParleyProtocol
import Testing

/// The SDK's friends, groups and presence calls against a real node.
@Suite("Client friends and groups", .serialized)
struct SocialTests {

    @Test func friendsFormAGroupAndTalkInIt() async throws {
        let node = TestNode()
        try await node.start()
        let alice = try await node.register(TestNode.uniqueName("alice")), bob = try await node.register(TestNode.uniqueName("bob"))
        let bobLog = EventLog(bob)
        await alice.start()
        await bob.start()
        let aliceId = try #require(await alice.userId), bobId = try #require(await bob.userId)

        let asked = try await alice.requestFriendship(with: bobId, message: "hi")
        try await bobLog.waitUntil { log in
            await log.notifications.contains { $0.notificationType == NotificationType.friendRequest }
        }
        #expect(try await bob.answerFriendRequest(asked.requestId, accept: true).status == "accepted")
        #expect(try await alice.friends().map(\.userId) == [bobId])
        let presence = try await alice.presence(of: [bobId])
        #expect(presence.first?.status == .online)

        let group = try await alice.createGroup(CreateGroup(name: "pair", memberIds: [bobId]))
        let info = try await bob.group(group.groupId)
        #expect(Set(info.members.map(\.userId)) == [aliceId, bobId])
        let ack = try await alice.send(text: "in the group", toGroup: group.groupId, mentioning: [bobId])
        try await bobLog.waitUntil { await $0.messages.contains { $0.conversationId == group.conversationId } }
        #expect(await bobLog.messages.last == MessagePayloadSummary(
            conversationId: group.conversationId, seq: ack.seq, localId: ack.localId, text: "in the group"))
        let list = try await bob.conversations()
        #expect(list.first { $0.conversationId == group.conversationId }?.mentionUnread == 1)

        try await alice.dismissGroup(group.groupId)
        try await bobLog.waitUntil { log in
            await log.notifications.contains { $0.notificationType == NotificationType.groupDismissed }
        }
        await alice.stop()
        await bob.stop()
        await node.remove()
    }
}

extension EventLog {
    var notifications: [NotificationPayload] {
        events.compactMap { if case .notification(let n) = $0 { n } else { nil } }
    }
}
