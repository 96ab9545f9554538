import ParleyStore
import Testing

@Suite("Store: edits, deletes for me, reactions and search")
struct ContentStoreTests {
    /// A text message as the domain stores it: the search text is the text.
    private func searchable(_ message: NewMessage, _ text: String) -> NewMessage {
        var message = message
        message.content = #"{"text":"\#(text)"}"#
        message.searchText = text
        return message
    }

    @Test(arguments: Engine.allCases)
    func editsKeepHistoryAndAppendAnEvent(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let sent = try await store.appendMessage(searchable(Fixture.message(from: "1", to: "2", localId: "a"), "hi a")).message
            let outcome = try await store.editMessage(NewEdit(
                conversationId: "p_1_2", messageId: sent.messageId, eventId: "e1", editedBy: "1", content: #"{"text":"fixed"}"#,
                searchText: "fixed", createdAt: 4_000))
            #expect(outcome.message.content == #"{"text":"fixed"}"# && outcome.message.editedAt == 4_000)
            #expect(outcome.event.seq == 2 && outcome.event.contentType == "edit" && outcome.event.isEvent)
            _ = try await store.editMessage(NewEdit(
                conversationId: "p_1_2", messageId: sent.messageId, eventId: "e2", editedBy: "1", content: #"{"text":"final"}"#,
                searchText: "final", createdAt: 5_000))
            #expect(try await store.edits(messageId: sent.messageId) == [
                EditRecord(content: #"{"text":"hi a"}"#, replacedAt: 4_000), EditRecord(content: #"{"text":"fixed"}"#, replacedAt: 5_000),
            ])
            #expect(try await store.message(id: sent.messageId)?.editedAt == 5_000)
            #expect(Set(try await store.messages(ids: [sent.messageId, "e1", "nope"]).map(\.messageId)) == [sent.messageId, "e1"])
            await #expect(throws: StoreError.self) {
                _ = try await store.editMessage(NewEdit(
                    conversationId: "p_1_2", messageId: "nope", eventId: "e3", editedBy: "1", content: "{}", searchText: nil, createdAt: 1))
            }
        }
    }

    @Test(arguments: Engine.allCases)
    func hiddenMessagesAndReactions(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            let a = try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "a")).message
            let b = try await store.appendMessage(Fixture.message(from: "1", to: "2", localId: "b")).message
            let told = try await store.hideMessages(
                userId: "2", conversationId: "p_1_2", messageIds: [a.messageId, a.messageId], at: 10, notices: [Fixture.notice(to: "2", "message_deleted")])
            #expect(told.count == 1)
            #expect(try await store.hiddenMessageIds(userId: "2", among: [a.messageId, b.messageId]) == [a.messageId])
            #expect(try await store.hiddenMessageIds(userId: "1", among: [a.messageId]).isEmpty)

            #expect(try await store.setReaction(ReactionRecord(messageId: b.messageId, userId: "1", emoji: "👍"), conversationId: "p_1_2", add: true, at: 1))
            #expect(!(try await store.setReaction(ReactionRecord(messageId: b.messageId, userId: "1", emoji: "👍"), conversationId: "p_1_2", add: true, at: 2)))
            #expect(try await store.setReaction(ReactionRecord(messageId: b.messageId, userId: "2", emoji: "👍"), conversationId: "p_1_2", add: true, at: 3))
            #expect(try await store.reactions(messageIds: [b.messageId]).count == 2)
            #expect(try await store.setReaction(ReactionRecord(messageId: b.messageId, userId: "1", emoji: "👍"), conversationId: "p_1_2", add: false, at: 4))
            #expect(try await store.reactions(messageIds: [b.messageId]) == [ReactionRecord(messageId: b.messageId, userId: "2", emoji: "👍")])
        }
    }

    @Test(arguments: Engine.allCases)
    func searchFindsSubstringsOnlyInOnesOwnConversations(_ engine: Engine) async throws {
        try await withStore(engine) { subject async throws in
            let store = subject.store
            try await store.createUser(Fixture.user("1", "zhangwei"))
            try await store.createUser(UserRecord(id: "2", username: "li", displayName: "李娜", avatar: nil, passwordHash: "h", createdAt: 1))
            _ = try await store.createGroup(Fixture.group("g9", owner: "1"), memberIds: [], notices: [])
            let beijing = try await store.appendMessage(
                searchable(Fixture.message(from: "1", to: "2", localId: "a", at: 2_000), "我们明天去北京开会吧")).message
            _ = try await store.appendMessage(searchable(Fixture.message(from: "1", to: "2", localId: "b", at: 3_000), "Meeting on Friday"))
            _ = try await store.appendMessage(searchable(Fixture.message(from: "3", to: "4", localId: "c", at: 4_000), "北京 elsewhere"))

            let found = try await store.searchMessages(MessageSearch(userId: "2", text: "北京", limit: 10))
            #expect(found.map(\.message.messageId) == [beijing.messageId] && found.first?.text == "我们明天去北京开会吧")
            #expect(try await store.searchMessages(MessageSearch(userId: "2", text: "京", limit: 10)).count == 1, "one character")
            #expect(try await store.searchMessages(MessageSearch(userId: "1", text: "friday", limit: 10)).count == 1, "any case")
            #expect(try await store.searchMessages(MessageSearch(userId: "1", text: "100%", limit: 10)).isEmpty)
            let newestFirst = try await store.searchMessages(MessageSearch(userId: "1", text: "e", limit: 1))
            #expect(newestFirst.first?.message.localId == "b")
            let next = try await store.searchMessages(MessageSearch(
                userId: "1", text: "e", limit: 5, after: (newestFirst[0].message.createdAt, newestFirst[0].message.messageId)))
            #expect(next.isEmpty, "only 'Meeting on Friday' has an e in Alice's conversations")
            #expect(try await store.searchMessages(MessageSearch(userId: "2", text: "北京", to: 2_000, limit: 10)).isEmpty)
            _ = try await store.hideMessages(userId: "2", conversationId: "p_1_2", messageIds: [beijing.messageId], at: 9, notices: [])
            #expect(try await store.searchMessages(MessageSearch(userId: "2", text: "北京", limit: 10)).isEmpty)
            _ = try await store.recallMessage(NewRecall(conversationId: "p_1_2", messageId: beijing.messageId, eventId: "r", recalledBy: "1", createdAt: 9))
            #expect(try await store.searchMessages(MessageSearch(userId: "1", text: "北京", limit: 10)).isEmpty)

            #expect(try await store.searchUsers("娜", limit: 5).map(\.id) == ["2"])
            #expect(try await store.searchUsers("ZHANG", limit: 5).map(\.id) == ["1"])
            let groups = try await store.searchGroups("group g9", limit: 5)
            #expect(groups.map(\.group.id) == ["g9"] && groups.first?.members == 1)
        }
    }
}
