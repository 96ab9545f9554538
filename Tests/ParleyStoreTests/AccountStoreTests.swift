import ParleyStore
import Testing

@Suite("Store: accounts and logins")
struct AccountStoreTests {
    @Test(arguments: Engine.allCases)
    func usersAreStoredFoundAndUnique(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            try await store.createUser(Fixture.user("1", "Alice"))
            try await store.createUser(Fixture.user("2", "bob"))
            await #expect(throws: StoreError.duplicate("username")) {
                try await store.createUser(Fixture.user("3", "alice"))  // usernames ignore case
            }
            #expect(try await store.user(id: "1")?.username == "Alice")
            #expect(try await store.user(username: "ALICE")?.id == "1")
            #expect(try await store.user(id: "9") == nil)
            #expect(Set(try await store.users(ids: ["1", "2", "9"]).map(\.id)) == ["1", "2"])
            #expect(try await store.users(ids: []).isEmpty)

            let changed = try await store.updateProfile(userId: "1", ProfileChange(displayName: "Alicia", avatar: .some("a.png"), friendsOnly: true))
            #expect(changed?.displayName == "Alicia" && changed?.avatar == "a.png" && changed?.friendsOnly == true)
            let cleared = try await store.updateProfile(userId: "1", ProfileChange(avatar: .some(nil)))
            #expect(cleared?.avatar == nil && cleared?.displayName == "Alicia")
            #expect(try await store.updateProfile(userId: "9", ProfileChange(displayName: "x")) == nil)

            try await store.setLastSeen(userId: "2", at: 7_777)
            #expect(try await store.user(id: "2")?.lastSeen == 7_777)
        }
    }

    @Test(arguments: Engine.allCases)
    func refreshTokensRotateOnceAndRevocationSticks(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            try await store.createUser(Fixture.user("1"))
            try await store.createAuthSession(AuthSessionRecord(id: "s1", userId: "1", refreshTokenHash: "h1", expiresAt: 10, createdAt: 1))
            #expect(try await store.rotateRefreshToken(sessionId: "s1", currentHash: "h1", newHash: "h2", expiresAt: 20) == .rotated)
            #expect(try await store.rotateRefreshToken(sessionId: "s1", currentHash: "h1", newHash: "h3", expiresAt: 30) == .reused,
                    "a token this login had before")
            #expect(try await store.rotateRefreshToken(sessionId: "s1", currentHash: "guess", newHash: "h3", expiresAt: 30) == .unknown,
                    "a token this login never had")
            let session = try #require(try await store.authSession(id: "s1"))
            #expect(session.refreshTokenHash == "h2" && session.expiresAt == 20 && session.revokedAt == nil)
            try await store.revokeAuthSession(id: "s1", at: 99)
            #expect(try await store.authSession(id: "s1")?.revokedAt == 99)
            #expect(try await store.rotateRefreshToken(sessionId: "s1", currentHash: "h2", newHash: "h4", expiresAt: 40) == .unknown)
            #expect(try await store.authSession(id: "none") == nil)
        }
    }

    @Test(arguments: Engine.allCases)
    func aDeletedAccountKeepsItsIdButNothingElse(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            for id in ["1", "2", "3"] { try await store.createUser(Fixture.user(id)) }
            try await store.createAuthSession(AuthSessionRecord(id: "s1", userId: "1", refreshTokenHash: "h1", expiresAt: 10, createdAt: 1))
            _ = try await store.savePushToken(PushTokenRecord(id: "p1", userId: "1", provider: "fcm", token: "t", deviceId: "d", createdAt: 1), limit: 20)
            _ = try await store.createRequest(
                RequestRecord(id: "r1", kind: .friend, fromId: "1", targetId: "2", message: "", createdAt: 5), notices: [])
            _ = try await store.decideRequest(id: "r1", accept: true, by: "2", at: 6, notices: [], groupCapacity: 10)
            _ = try await store.setBlock(userId: "3", targetId: "1", blocked: true, at: 7)
            _ = try await store.createRequest(
                RequestRecord(id: "r2", kind: .friend, fromId: "1", targetId: "3", message: "", createdAt: 8), notices: [])
            try await store.deleteAccount(
                userId: "1", anonymised: DeletedAccount(username: "deleted-1", displayName: "Deleted user", passwordHash: "!"), at: 50)
            let user = try #require(try await store.user(id: "1"))
            #expect(user.username == "deleted-1" && user.displayName == "Deleted user" && user.deletedAt == 50 && user.passwordHash == "!")
            #expect(try await store.user(username: Fixture.user("1").username) == nil, "the name is free again")
            #expect(try await store.authSession(id: "s1")?.revokedAt == 50)
            #expect(try await store.friends(of: "2").isEmpty)
            #expect(try await store.blockers(of: "1").isEmpty)
            #expect(try await store.request(id: "r2")?.status == .rejected)
            #expect(try await store.pushTokens(userIds: ["1"]).isEmpty, "no push for a deleted account")
        }
    }

    @Test(arguments: Engine.allCases)
    func privacySettingsAreKept(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            try await store.createUser(Fixture.user("1"))
            #expect(try await store.user(id: "1")?.groupAdds == nil)
            #expect(try await store.user(id: "1")?.presenceVisibility == .contacts)
            let changed = try await store.updateProfile(userId: "1", ProfileChange(groupAdds: .nobody, presenceVisibility: .friends))
            #expect(changed?.groupAdds == .nobody && changed?.presenceVisibility == .friends)
        }
    }
}
