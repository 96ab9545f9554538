import ParleyStore
import Testing

@Suite("Store: friends, blocks and requests")
struct SocialStoreTests {
    private func request(_ id: String, from: String, to: String, kind: RequestKind = .friend) -> RequestRecord {
        RequestRecord(id: id, kind: kind, fromId: from, targetId: to, message: "hello", createdAt: 100)
    }

    @Test(arguments: Engine.allCases)
    func friendRequestsBecomeFriendshipsOnce(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let told = try await store.createRequest(request("r1", from: "1", to: "2"), notices: [Fixture.notice(to: "2", "friend_request")])
            #expect(told.map(\.seq) == [1])
            await #expect(throws: StoreError.self) {
                _ = try await store.createRequest(request("r2", from: "1", to: "2"), notices: [Fixture.notice(to: "2", "friend_request")])
            }
            #expect(try await store.notifications(userId: "2", after: 0, limit: 10).latestSeq == 1, "a refused request leaves no notice")
            _ = try await store.createRequest(request("r3", from: "2", to: "1"), notices: [])
            #expect(try await store.pendingRequest(kind: .friend, fromId: "1", targetId: "2")?.id == "r1")
            #expect(Set(try await store.pendingRequests(kind: .friend, involving: ["1"], limit: 10).map(\.id)) == ["r1", "r3"])

            let decided = try await store.decideRequest(id: "r1", accept: true, by: "2", at: 200, notices: [Fixture.notice(to: "1", "friend_accepted")], groupCapacity: 10)
            #expect(decided?.map(\.notification.userId) == ["1"])
            #expect(try await store.request(id: "r1")?.status == .accepted)
            #expect(try await store.request(id: "r3")?.status == .accepted, "the crossing request is settled too")
            #expect(try await store.decideRequest(id: "r1", accept: false, by: "2", at: 300, notices: [], groupCapacity: 10) == nil)
            #expect(try await store.areFriends("1", "2"))
            #expect(try await store.areFriends("2", "1"))
            #expect(try await store.friends(of: "1") == [FriendRecord(userId: "2", since: 200)])

            #expect(try await store.removeFriendship("2", "1", notices: [Fixture.notice(to: "1", "friend_deleted")]) != nil)
            #expect(!(try await store.areFriends("1", "2")))
            #expect(try await store.friends(of: "2").isEmpty)
            #expect(try await store.removeFriendship("2", "1", notices: [Fixture.notice(to: "1", "x")]) == nil)

            _ = try await store.createRequest(request("r4", from: "1", to: "3"), notices: [])
            #expect(try await store.decideRequest(id: "r4", accept: false, by: "3", at: 400, notices: [], groupCapacity: 10)?.isEmpty == true)
            #expect(try await store.request(id: "r4")?.status == .rejected)
            #expect(!(try await store.areFriends("1", "3")))
        }
    }

    @Test(arguments: Engine.allCases)
    func blocksAreOneSided(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            #expect(try await store.setBlock(userId: "1", targetId: "2", blocked: true, at: 10))
            #expect(!(try await store.setBlock(userId: "1", targetId: "2", blocked: true, at: 11)), "blocking twice changes nothing")
            #expect(try await store.blocks(of: "1") == [BlockRecord(userId: "2", since: 10)])
            #expect(try await store.blockers(of: "2") == ["1"])
            #expect(try await store.blockers(between: "2", and: "1") == ["1"])
            #expect(try await store.blockers(between: "2", and: "3").isEmpty)
            #expect(try await store.setBlock(userId: "1", targetId: "2", blocked: false, at: 12))
            #expect(!(try await store.setBlock(userId: "1", targetId: "2", blocked: false, at: 13)))
            #expect(try await store.blocks(of: "1").isEmpty)
        }
    }
}
