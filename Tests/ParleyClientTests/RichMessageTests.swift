import Foundation
import ParleyClient
import ParleyProtocol
import Testing

/// The SDK's replies, edits, reactions, deletes and search against a real node.
@Suite("Client rich messages", .serialized)
struct RichMessageTests {

    @Test func replyEditReactDeleteAndSearch() async throws {
        let node = TestNode()
        try await node.start()
        let alice = try await node.register(TestNode.uniqueName("alice")), bob = try await node.register(TestNode.uniqueName("bob"))
        let bobLog = EventLog(bob)
        await alice.start()
        await bob.start()
        let bobId = try #require(await bob.userId)

        let first = try await alice.send(text: "第一条 first", to: bobId)
        let reply = try await bob.reply(text: "answer", to: first.messageId, in: first.conversationId)
        let edited = try await alice.edit(conversationId: first.conversationId, messageId: first.messageId, content: .object(["text": .string("第一条 fixed")]))
        #expect(edited.seq == 3)
        try await bobLog.waitUntil { log in
            await log.notifications.contains { $0.notificationType == NotificationType.messageEdited }
        }
        let reacted = try await bob.react(conversationId: first.conversationId, messageId: first.messageId, emoji: "👍")
        #expect(reacted.reactions == [ReactionCount(emoji: "👍", count: 1, me: true)])

        let history = try await alice.history(HistoryRequest(conversationId: first.conversationId, afterSeq: 0))
        #expect(history.messages.map(\.seq) == [1, 2, 3])
        #expect(history.messages[0].edited && history.messages[0].content?["text"]?.stringValue == "第一条 fixed")
        #expect(history.messages[0].reactions == [ReactionCount(emoji: "👍", count: 1, me: false)])
        #expect(history.messages[1].quote?.messageId == first.messageId && history.messages[1].messageId == reply.messageId)

        #expect(try await alice.searchMessages("fixed").results.map(\.message.messageId) == [first.messageId])
        _ = try await alice.delete(conversationId: first.conversationId, messageIds: [first.messageId])
        #expect(try await alice.searchMessages("fixed").results.isEmpty)
        #expect(try await bob.searchMessages("fixed").results.count == 1)
        await alice.stop()
        await bob.stop()
        await node.remove()
    }
}
