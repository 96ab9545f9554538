import ParleyStore
import Synchronization

/// Users' display names and avatars, cached: every delivered message carries its sender's
/// name, and looking it up per message would double the store traffic of a send.
///
/// Changes reach every node's copy through the bus (`profileChanged`); an entry also expires
/// after `lifetime`, so a change whose bus message was lost (a NATS outage) is picked up anyway.
final class ProfileDirectory: Sendable {
    private struct Entry {
        var user: UserRecord
        var cachedAt: ContinuousClock.Instant
    }

    private let store: any Store
    private let cache = Mutex<[String: Entry]>([:])
    private let capacity = 100_000
    private let lifetime: Duration

    init(store: any Store, lifetime: Duration = .seconds(60)) {
        self.store = store
        self.lifetime = lifetime
    }

    func user(_ id: String) async throws -> UserRecord? {
        try await users([id])[id]
    }

    func users(_ ids: Set<String>) async throws -> [String: UserRecord] {
        var found: [String: UserRecord] = [:]
        let now = ContinuousClock.now
        let missing = cache.withLock { cache in
            ids.filter { id in
                if let entry = cache[id], now - entry.cachedAt < lifetime {
                    found[id] = entry.user
                    return false
                }
                return true
            }
        }
        if !missing.isEmpty {
            let loaded = try await store.users(ids: Array(missing))
            cache.withLock { cache in
                if cache.count + loaded.count > capacity { cache.removeAll(keepingCapacity: true) }
                for user in loaded { cache[user.id] = Entry(user: user, cachedAt: now) }
            }
            for user in loaded { found[user.id] = user }
        }
        return found
    }

    /// Replaces a cached user after a change.
    func update(_ user: UserRecord) {
        cache.withLock { $0[user.id] = Entry(user: user, cachedAt: .now) }
    }

    /// Drops a cached user (changed on another node): the next lookup reads the store.
    func forget(_ userId: String) {
        _ = cache.withLock { $0.removeValue(forKey: userId) }
    }
}
