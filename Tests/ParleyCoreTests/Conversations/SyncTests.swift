import ParleyCore
import ParleyProtocol
import Testing

@Suite("Sync")
struct SyncTests {
    @Test func theVersionCursorReturnsEachChangeOnce() async throws {
        let bed = try TestBed()
        let me = try await bed.user("myself")
        var peers: [Caller] = []
        for name in ["ann", "ben", "cid"] { peers.append(try await bed.user(name)) }
        for peer in peers { _ = try await bed.chat.send(bed.text("hello", to: me.userId), from: peer) }

        let first = try await bed.chat.sync(SyncRequest(since: 0, notificationsAfter: 0, limit: 2), for: me)
        #expect(first.conversations.count == 2 && first.hasMore)
        let second = try await bed.chat.sync(SyncRequest(since: first.version, notificationsAfter: 0, limit: 2), for: me)
        #expect(second.conversations.count == 1 && !second.hasMore)
        let ids = Set((first.conversations + second.conversations).map(\.conversationId))
        #expect(ids.count == 3)

        let none = try await bed.chat.sync(SyncRequest(since: second.version), for: me)
        #expect(none.conversations.isEmpty && none.version == second.version)

        _ = try await bed.chat.send(bed.text("again", to: me.userId), from: peers[0])
        let changed = try await bed.chat.sync(SyncRequest(since: second.version), for: me)
        #expect(changed.conversations.map(\.peerId) == [peers[0].userId])
        #expect(changed.conversations.first?.unread == 2)
        #expect(changed.conversations.first?.lastMessage?.content == .object(["text": .string("again")]))
    }
}
