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

extension SocialTests {
    @Test func aPrivateUserIsInvitedAndAnAccountCanBeDeleted() async throws {
        let node = TestNode()
        try await node.start()
        let carol = try await node.register(TestNode.uniqueName("carol")), dave = try await node.register(TestNode.uniqueName("dave"))
        let daveLog = EventLog(dave)
        await dave.start()
        let daveId = try #require(await dave.userId)

        #expect(try await dave.updateProfile(ProfileUpdate(groupAdds: "nobody")).groupAdds == "nobody")
        #expect(try await dave.ownProfile().presenceVisibility == "contacts")
        let group = try await carol.createGroup(CreateGroup(name: "ask first", memberIds: [daveId]))
        #expect(group.invited == [daveId])
        try await daveLog.waitUntil { log in
            await log.notifications.contains { $0.notificationType == NotificationType.groupInvitation }
        }
        let invitation = try #require(try await dave.groupInvitations().first)
        #expect(invitation.groupId == group.groupId)
        #expect(try await dave.answerInvitation(invitation.invitationId, accept: true).status == "accepted")
        #expect(try await carol.group(group.groupId).members.map(\.userId).contains(daveId))

        // Deleting the account ends the session: the server kicks it.
        try await dave.deleteAccount(password: "correct horse")
        try await daveLog.waitUntil { log in
            await log.events.contains { if case .kicked(let reason) = $0 { reason == "account_deleted" } else { false } }
        }
        #expect(try await carol.group(group.groupId).members.map(\.userId) == [try #require(await carol.userId)])
        await dave.stop()
        await node.remove()
    }
}

extension EventLog {
    var notifications: [NotificationPayload] {
        events.compactMap { if case .notification(let n) = $0 { n } else { nil } }
    }
}
