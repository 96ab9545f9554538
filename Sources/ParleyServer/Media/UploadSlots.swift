import ParleyCore
import Synchronization

/// Uploads being received on this node at once: a few per user, so one account cannot hold
/// hundreds of spools open (each is disk, a connection and, at its end, a processing run), and
/// a bound for the node, past which uploads are told to come back shortly.
final class UploadSlots: Sendable {
    let perUser: Int
    let total: Int
    private let held = Mutex<(total: Int, users: [String: Int])>((0, [:]))

    init(perUser: Int = 4, total: Int = 64) {
        self.perUser = perUser
        self.total = total
    }

    /// Runs `body` in one of the user's slots, or refuses at once.
    func run<T>(for userId: String, _ body: () async throws -> T) async throws -> T {
        try take(userId)
        defer { give(userId) }
        return try await body()
    }

    private func take(_ userId: String) throws {
        let refusal = held.withLock { held -> ChatError? in
            if held.users[userId, default: 0] >= perUser {
                return ChatError(.rateLimited, "at most \(perUser) uploads at once", retryAfterMs: 1_000)
            }
            if held.total >= total { return ChatError(.unavailable, "the node is receiving many uploads; retry shortly", retryAfterMs: 1_000) }
            held.users[userId, default: 0] += 1
            held.total += 1
            return nil
        }
        if let refusal { throw refusal }
    }

    private func give(_ userId: String) {
        held.withLock { held in
            held.total -= 1
            let left = held.users[userId, default: 1] - 1
            held.users[userId] = left > 0 ? left : nil
        }
    }
}
