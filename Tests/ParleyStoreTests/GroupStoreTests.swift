import ParleyStore
import Testing

@Suite("Store: groups")
struct GroupStoreTests {
    @Test(arguments: Engine.allCases)
    func aGroupLivesThroughEveryChange(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let told = try await store.createGroup(
                Fixture.group("g1", owner: "1"), memberIds: ["2", "3", "1"],
                notices: [Fixture.notice(to: "2", "group_invite"), Fixture.notice(to: "3", "group_invite")])
            #expect(told.count == 2)
            #expect(try await store.group(id: "g1")?.ownerId == "1")
            #expect(try await store.conversation(id: "g_g1")?.type == "group")
            var roles = Dictionary(uniqueKeysWithValues: try await store.members(conversationId: "g_g1").map { ($0.userId, $0.role) })
            #expect(roles == ["1": .owner, "2": .member, "3": .member])

            let sent = try await store.appendMessage(Fixture.groupMessage("g1", from: "2", localId: "a", mentions: ["3"]))
            #expect(sent.message.seq == 1)
            // A member added later starts with everything so far read.
            _ = try await store.changeGroup(id: "g1", .addMembers(["4", "2"], capacity: 10), at: 2_000, notices: [])
            #expect(try await store.membership(conversationId: "g_g1", userId: "4")?.readSeq == 1)
            #expect(try await store.memberIds(conversationId: "g_g1").count == 4)

            _ = try await store.changeGroup(id: "g1", .setRole(userId: "2", role: .admin), at: 2_100, notices: [])
            _ = try await store.changeGroup(id: "g1", .muteMember(userId: "3", until: 9_999), at: 2_200, notices: [])
            let three = try #require(try await store.membership(conversationId: "g_g1", userId: "3"))
            #expect(three.mutedUntil == 9_999)
            _ = try await store.changeGroup(
                id: "g1", .updateInfo(name: "Renamed", announcement: "Hello", muteAll: true, joinPolicy: .open), at: 2_300,
                notices: [Fixture.notice(to: "3", "group_info_updated")])
            let group = try #require(try await store.group(id: "g1"))
            #expect(group.name == "Renamed" && group.announcement == "Hello" && group.muteAll && group.joinPolicy == .open)
            #expect(try await store.conversationList(userId: "3", limit: 5).first?.groupName == "Renamed")
            _ = try await store.changeGroup(id: "g1", .updateInfo(name: nil, announcement: nil, muteAll: false, joinPolicy: nil), at: 2_350, notices: [])
            let unmuted = try #require(try await store.group(id: "g1"))
            #expect(unmuted.name == "Renamed" && !unmuted.muteAll)

            _ = try await store.changeGroup(id: "g1", .transferOwnership(from: "1", to: "2"), at: 2_400, notices: [])
            roles = Dictionary(uniqueKeysWithValues: try await store.members(conversationId: "g_g1").map { ($0.userId, $0.role) })
            #expect(roles == ["1": .admin, "2": .owner, "3": .member, "4": .member])
            #expect(try await store.group(id: "g1")?.ownerId == "2")

            _ = try await store.changeGroup(id: "g1", .removeMember("3"), at: 2_500, notices: [])
            #expect(try await store.membership(conversationId: "g_g1", userId: "3") == nil)
            #expect(try await store.conversationList(userId: "3", limit: 5).isEmpty)

            _ = try await store.createRequest(
                RequestRecord(id: "j1", kind: .groupJoin, fromId: "5", targetId: "g1", message: "", createdAt: 2_600), notices: [])
            #expect(try await store.decideRequest(id: "j1", accept: true, by: "2", at: 2_700, notices: [], groupCapacity: 10) != nil)
            #expect(try await store.membership(conversationId: "g_g1", userId: "5")?.role == .member)

            _ = try await store.createRequest(
                RequestRecord(id: "j2", kind: .groupJoin, fromId: "6", targetId: "g1", message: "", createdAt: 2_800), notices: [])
            _ = try await store.changeGroup(id: "g1", .dismiss, at: 3_000, notices: [Fixture.notice(to: "1", "group_dismissed")])
            #expect(try await store.group(id: "g1")?.dismissedAt == 3_000)
            #expect(try await store.memberIds(conversationId: "g_g1").isEmpty)
            #expect(try await store.request(id: "j2")?.status == .rejected, "pending requests end with the group")
            await #expect(throws: StoreError.notFound("group")) {
                _ = try await store.changeGroup(id: "g1", .addMembers(["7"], capacity: 10), at: 3_100, notices: [])
            }
            // The history stays stored.
            #expect(try await store.messages(conversationId: "g_g1", page: .after(0, limit: 5)).messages.count == 1)
        }
    }

    @Test(arguments: Engine.allCases)
    func groupMentionsCountForTheMentioned(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            _ = try await store.createGroup(Fixture.group("g2", owner: "1"), memberIds: ["2", "3"], notices: [])
            _ = try await store.appendMessage(Fixture.groupMessage("g2", from: "1", localId: "a", mentions: ["2"]))
            _ = try await store.appendMessage(Fixture.groupMessage("g2", from: "1", localId: "b", mentions: ["all"]))
            let two = try #require(try await store.conversationList(userId: "2", limit: 5).first)
            let three = try #require(try await store.conversationList(userId: "3", limit: 5).first)
            #expect((two.unread, two.mentionUnread) == (2, 2))
            #expect((three.unread, three.mentionUnread) == (2, 1))
        }
    }

    @Test(arguments: Engine.allCases)
    func aFullGroupTakesNobodyMore(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            _ = try await store.createGroup(Fixture.group("g3", owner: "1", policy: .open), memberIds: ["2"], notices: [])
            await #expect(throws: StoreError.full("group")) {
                _ = try await store.changeGroup(id: "g3", .addMembers(["3", "4"], capacity: 3), at: 2_000, notices: [])
            }
            #expect(try await store.memberIds(conversationId: "g_g3").count == 2, "all or nothing")
            // Members already in do not count twice.
            _ = try await store.changeGroup(id: "g3", .addMembers(["2", "3"], capacity: 3), at: 2_100, notices: [])
            for (id, user) in [("j1", "4"), ("j2", "5")] {
                _ = try await store.createRequest(
                    RequestRecord(id: id, kind: .groupInvitation, fromId: user, targetId: "g3", message: "", createdAt: 2_200, inviterId: "1"),
                    notices: [])
            }
            // Two joins decided together (one batch, or two concurrent transactions) cannot both pass the bound.
            async let first = try? store.decideRequest(id: "j1", accept: true, by: "4", at: 2_300, notices: [], groupCapacity: 4)
            async let second = try? store.decideRequest(id: "j2", accept: true, by: "5", at: 2_300, notices: [], groupCapacity: 4)
            let outcomes = await [first, second]
            #expect(outcomes.compactMap { $0 }.count == 1)
            #expect(try await store.memberIds(conversationId: "g_g3").count == 4)
            #expect(try await store.request(id: "j1")?.inviterId == "1")
        }
    }
}
