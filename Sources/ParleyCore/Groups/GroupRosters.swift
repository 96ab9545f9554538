import ParleyStore
import Synchronization

/// The member ids of group conversations, cached: every group send, receipt and typing notice
/// needs them, and reading 10,000 rows per message would cost more than the message.
///
/// Every membership change made through `Chat` invalidates its group's entry before the
/// change's notifications go out. (In a cluster, other nodes must hear of the invalidation too:
/// see docs/decisions.md.)
final class GroupRosters: Sendable {
    private let store: any Store
    private struct State {
        var members: [String: [String]] = [:]
        /// Moves on every invalidation, so a load that raced with a change is not cached.
        var generation: UInt64 = 0
    }
    private let state = Mutex(State())
    /// Most groups kept; the cache is emptied when it would grow past this.
    private let capacity: Int

    init(store: any Store, capacity: Int = 10_000) {
        self.store = store
        self.capacity = capacity
    }

    /// The members of a group conversation.
    func members(of conversationId: String) async throws -> [String] {
        let (cached, generation) = state.withLock { ($0.members[conversationId], $0.generation) }
        if let cached { return cached }
        let loaded = try await store.memberIds(conversationId: conversationId)
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.members.count >= capacity { state.members.removeAll(keepingCapacity: true) }
            state.members[conversationId] = loaded
        }
        return loaded
    }

    /// Forgets a group's members after they changed.
    func invalidate(_ conversationId: String) {
        state.withLock { state in
            state.members.removeValue(forKey: conversationId)
            state.generation &+= 1
        }
    }
}
