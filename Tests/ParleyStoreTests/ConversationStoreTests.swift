import ParleyStore
import Testing

@Suite("Store: conversations, cursors, sync and the inbox")
struct ConversationStoreTests {
    @Test(arguments: Engine.allCases)
    func cursorsOnlyMoveForwardAndCountsFollowThem(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            for index in 1...4 {
                _ = try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "l\(index)", mentions: index == 2 ? ["2"] : []))
            }
            let delivered = try await store.advanceCursor(conversationId: "p_1_2", userId: "2", kind: .delivered, to: 3)
            #expect(delivered == CursorAdvance(seq: 3, previous: 0, moved: true))
            #expect(try await store.advanceCursor(conversationId: "p_1_2", userId: "2", kind: .delivered, to: 2).moved == false)
            let read = try await store.advanceCursor(conversationId: "p_1_2", userId: "2", kind: .read, to: 99)
            #expect(read == CursorAdvance(seq: 4, previous: 0, moved: true), "never past the last seq")
            let member = try #require(try await store.membership(conversationId: "p_1_2", userId: "2"))
            #expect(member.deliveredSeq == 4 && member.readSeq == 4, "read moves delivered")
            await #expect(throws: StoreError.self) {
                _ = try await store.advanceCursor(conversationId: "p_1_2", userId: "3", kind: .read, to: 1)
            }
        }
    }

    @Test(arguments: Engine.allCases)
    func syncReturnsChangesAfterACursorInOrder(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            _ = try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "a", mentions: ["2"]))
            _ = try await store.appendMessage(Fixture.message(from: "3", to: "2", localId: "b"))
            let all = try await store.conversationsChanged(userId: "2", after: 0, limit: 10)
            #expect(all.conversations.map(\.conversation.id) == ["p_1_2", "p_2_3"] && !all.hasMore)
            let first = try #require(all.conversations.first)
            #expect(first.unread == 1 && first.mentionUnread == 1 && first.peerId == "1" && first.lastMessage?.seq == 1)

            let page = try await store.conversationsChanged(userId: "2", after: 0, limit: 1)
            #expect(page.conversations.count == 1 && page.hasMore)
            let rest = try await store.conversationsChanged(userId: "2", after: page.version, limit: 1)
            #expect(rest.conversations.map(\.conversation.id) == ["p_2_3"])

            let cursor = all.version
            #expect(try await store.conversationsChanged(userId: "2", after: cursor, limit: 10).conversations.isEmpty)
            _ = try await store.advanceCursor(conversationId: "p_1_2", userId: "2", kind: .read, to: 1)
            let changed = try await store.conversationsChanged(userId: "2", after: cursor, limit: 10)
            #expect(changed.conversations.map(\.conversation.id) == ["p_1_2"])
            #expect(changed.conversations.first?.unread == 0 && changed.conversations.first?.mentionUnread == 0)
        }
    }

    @Test(arguments: Engine.allCases)
    func settingsPinMuteAndHide(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            _ = try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "a", at: 2_000))
            _ = try await store.appendMessage(Fixture.message(from: "3", to: "2", localId: "b", at: 3_000))
            #expect(try await store.conversationList(userId: "2", limit: 10).map(\.conversation.id) == ["p_2_3", "p_1_2"])
            let pinned = try await store.updateSettings(conversationId: "p_1_2", userId: "2", ConversationSettingsChange(pinned: true, muted: true))
            #expect(pinned?.pinned == true && pinned?.muted == true && pinned?.hiddenSeq == nil)
            #expect(try await store.conversationList(userId: "2", limit: 10).map(\.conversation.id) == ["p_1_2", "p_2_3"])
            let hidden = try await store.updateSettings(conversationId: "p_2_3", userId: "2", ConversationSettingsChange(hidden: true))
            #expect(hidden?.hiddenSeq == 1 && hidden?.pinned == false)
            #expect(try await store.conversationList(userId: "2", limit: 10).map(\.conversation.id) == ["p_1_2"])
            _ = try await store.appendMessage(Fixture.message(from: "3", to: "2", localId: "c", at: 4_000))
            #expect(try await store.conversationList(userId: "2", limit: 10).map(\.conversation.id) == ["p_1_2", "p_2_3"])
            #expect(try await store.updateSettings(conversationId: "p_2_3", userId: "1", ConversationSettingsChange(pinned: true)) == nil)
            #expect(try await store.updateSettings(conversationId: "p_9_8", userId: "2", ConversationSettingsChange(pinned: true)) == nil)
        }
    }

    @Test(arguments: Engine.allCases)
    func notificationsHaveGaplessSeqsPerUser(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let records = try await store.appendNotifications([
                Fixture.notice(to: "1", "a"), Fixture.notice(to: "2", "b"), Fixture.notice(to: "1", "c"),
            ])
            #expect(records.map(\.seq) == [1, 1, 2])
            #expect(try await store.appendNotifications([Fixture.notice(to: "1", "d")]).map(\.seq) == [3])
            #expect(try await store.appendNotifications([]).isEmpty)
            let page = try await store.notifications(userId: "1", after: 1, limit: 1)
            #expect(page.notifications.map(\.notification.type) == ["c"] && page.hasMore && page.latestSeq == 3)
            let stored = try #require(try await store.notifications(userId: "1", after: 0, limit: 10).notifications.first)
            #expect(stored.notification == records[0].notification)
            #expect(try await store.notifications(userId: "9", after: 0, limit: 10) == NotificationPage(notifications: [], latestSeq: 0, hasMore: false))
        }
    }

    @Test(arguments: Engine.allCases)
    func aPrivateChatShowsThePeersCursorsAndTheirMovesReachSync(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let first = try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "a"))
            #expect(first.senderReadBefore == 0)
            let conversation = first.message.conversationId
            let before = try await store.conversationsChanged(userId: "1", after: 0, limit: 10)
            #expect(before.conversations.first?.peerReadSeq == 0 && before.conversations.first?.peerDeliveredSeq == 0)
            _ = try await store.advanceCursor(conversationId: conversation, userId: "2", kind: .read, to: 1)
            let after = try await store.conversationsChanged(userId: "1", after: before.version, limit: 10)
            #expect(after.conversations.map(\.conversation.id) == [conversation], "the peer's receipt changes the sender's sync")
            #expect(after.conversations.first?.peerReadSeq == 1 && after.conversations.first?.peerDeliveredSeq == 1)
            // A reply reads everything before it: the store says how far the sender had read.
            let reply = try await store.appendMessage(Fixture.message(from: "2", to: "1", localId: "b"))
            #expect(reply.senderReadBefore == 1 && reply.message.seq == 2)
            let third = try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "c"))
            #expect(third.senderReadBefore == 1 && third.message.seq == 3)
            #expect(try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "c")).senderReadBefore == nil)
        }
    }
}
