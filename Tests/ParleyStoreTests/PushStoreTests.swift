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

    @Test(arguments: Engine.allCases)
    func thePushLogKeepsOneEntryPerPushNewestFirst(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            func entry(_ id: String, user: String, at time: Int64, _ status: PushLogRecord.Status = .pending) -> PushLogRecord {
                PushLogRecord(
                    id: id, userId: user, messageId: "m-\(id)", conversationId: "p_1_2", provider: "apns", tokenId: "t", status: status,
                    attempts: 1, createdAt: time)
            }
            try await store.savePushLog([entry("a", user: "2", at: 10), entry("b", user: "2", at: 20), entry("c", user: "3", at: 30)])
            var sent = entry("a", user: "2", at: 10, .sent)
            sent.attempts = 2
            sent.sentAt = 40
            try await store.savePushLog([sent])
            #expect(try await store.pushLogEntries(ids: ["a", "zz"]) == [sent], "saved again: replaced, not duplicated")
            #expect(try await store.pushLog(userId: "2", limit: 10).map(\.id) == ["b", "a"])
            #expect(try await store.pushLog(userId: nil, limit: 2).map(\.id) == ["c", "b"])
            #expect(try await store.prunePushLog(before: 25) == 2)
            #expect(try await store.pushLog(userId: nil, limit: 10).map(\.id) == ["c"])
        }
    }

    @Test(arguments: Engine.allCases)
    func theBadgeCountsWhatIsUnreadEverywhere(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            for id in ["1", "2", "3"] { try await store.createUser(Fixture.user(id)) }
            _ = try await store.appendMessage(Fixture.message(from: "2", to: "1", localId: "own"))
            for index in 1...3 { _ = try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "a\(index)")) }
            for index in 1...2 { _ = try await store.appendMessage(Fixture.message(from: "3", to: "2", localId: "b\(index)")) }
            #expect(try await store.unreadTotal(userId: "2") == 5, "their own message is not unread")
            _ = try await store.advanceCursor(conversationId: "p_1_2", userId: "2", kind: .read, to: 2)
            #expect(try await store.unreadTotal(userId: "2") == 2 + 2)
            // Sending read what came before: user 1 has nothing unread.
            #expect(try await store.unreadTotal(userId: "1") == 0)
            #expect(try await store.unreadTotal(userId: "nobody") == 0)
        }
    }
}
