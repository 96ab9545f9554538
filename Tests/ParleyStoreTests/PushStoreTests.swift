import ParleyStore
import Testing

@Suite("Store: push tokens and settings")
struct PushStoreTests {
    @Test(arguments: Engine.allCases)
    func aTokenIsOneRowThatMovesWithItsDevice(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let first = try await store.savePushToken(PushTokenRecord(
                id: "t1", userId: "1", provider: "fcm", token: "abc", deviceId: "phone", loginId: "l1", createdAt: 10), limit: 20)
            #expect(first.id == "t1")
            // The same token again: updated in place, same id, no duplicate.
            let again = try await store.savePushToken(PushTokenRecord(
                id: "t2", userId: "1", provider: "fcm", token: "abc", deviceId: "phone-2", loginId: "l1", createdAt: 20), limit: 20)
            #expect(again.id == "t1" && again.deviceId == "phone-2")
            // The same token under another user (the phone changed hands) leaves the first.
            let moved = try await store.savePushToken(PushTokenRecord(
                id: "t3", userId: "2", provider: "fcm", token: "abc", deviceId: "phone", loginId: "l2", createdAt: 30), limit: 20)
            #expect(moved.id == "t1" && moved.userId == "2")
            #expect(try await store.pushTokens(userIds: ["1"]).isEmpty)
            // The same token string of another provider is another token.
            _ = try await store.savePushToken(PushTokenRecord(
                id: "t4", userId: "2", provider: "apns", token: "abc", deviceId: "pad", sandbox: true, loginId: "l3", createdAt: 40), limit: 20)
            #expect(try await store.pushTokens(userIds: ["2"]).map(\.id) == ["t1", "t4"])
            #expect(try await store.pushTokens(userIds: ["2"]).last?.sandbox == true)

            // The bound holds for new tokens, in the transaction, also when they come at once; an
            // update of one already held is fine.
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for i in 0..<10 {
                    group.addTask {
                        (try? await store.savePushToken(
                            PushTokenRecord(id: "n\(i)", userId: "2", provider: "fcm", token: "new-\(i)", deviceId: "d", createdAt: 50),
                            limit: 5)) != nil
                    }
                }
                return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(outcomes == 3, "2 held + 3 new = the limit of 5")
            #expect(try await store.savePushToken(
                PushTokenRecord(id: "x", userId: "2", provider: "fcm", token: "abc", deviceId: "again", loginId: "l2", createdAt: 60), limit: 5).id == "t1")
            for i in 0..<10 { _ = try await store.deletePushToken(id: "n\(i)", userId: "2") }
            #expect(!(try await store.deletePushToken(id: "t4", userId: "1")), "only its owner removes a token")
            try await store.deletePushTokens(userId: "2", loginId: "l2")
            #expect(try await store.pushTokens(userIds: ["2"]).map(\.id) == ["t4"])
            try await store.deletePushTokens(userId: "2", loginId: nil)
            #expect(try await store.pushTokens(userIds: ["2"]).isEmpty)
        }
    }

    @Test(arguments: Engine.allCases)
    func settingsDefaultAndKeepQuietHours(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            #expect(try await store.pushSettings(userId: "1") == PushSettingsRecord())
            let quiet = PushSettingsRecord(
                enabled: true, preview: false, quietHours: .init(startMinute: 22 * 60, endMinute: 7 * 60, timeZone: "Asia/Shanghai"))
            try await store.savePushSettings(userId: "1", quiet)
            #expect(try await store.pushSettings(userId: "1") == quiet)
            try await store.savePushSettings(userId: "1", PushSettingsRecord(enabled: false, preview: true))
            #expect(try await store.pushSettings(userId: "1") == PushSettingsRecord(enabled: false, preview: true))
        }
    }
}
