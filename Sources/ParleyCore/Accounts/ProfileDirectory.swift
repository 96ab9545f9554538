import ParleyStore
import Synchronization

/// Users' display names and avatars, cached: every delivered message carries its sender's
/// name, and looking it up per message would double the store traffic of a send.
final class ProfileDirectory: Sendable {
    private let store: any Store
    private let cache = Mutex<[String: UserRecord]>([:])
    private let capacity = 100_000

    init(store: any Store) {
        self.store = store
    }

    func user(_ id: String) async throws -> UserRecord? {
        try await users([id])[id]
    }

    func users(_ ids: Set<String>) async throws -> [String: UserRecord] {
        var found: [String: UserRecord] = [:]
        let missing = cache.withLock { cache in
            ids.filter { id in
                if let user = cache[id] { found[id] = user; return false }
                return true
            }
        }
        if !missing.isEmpty {
            let loaded = try await store.users(ids: Array(missing))
            cache.withLock { cache in
                if cache.count + loaded.count > capacity { cache.removeAll(keepingCapacity: true) }
                for user in loaded { cache[user.id] = user }
            }
            for user in loaded { found[user.id] = user }
        }
        return found
    }

    /// Replaces a cached user after a change.
    func update(_ user: UserRecord) {
        cache.withLock { $0[user.id] = user }
    }

    /// Drops a cached user (changed on another node): the next lookup reads the store.
    func forget(_ userId: String) {
        _ = cache.withLock { $0.removeValue(forKey: userId) }
    }
}
