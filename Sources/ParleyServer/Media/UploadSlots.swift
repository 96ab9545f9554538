import ParleyCore
import Synchronization

/// Uploads being received on this node at once: a few per user and per client address, so
/// one account or host cannot hold hundreds of spools open (each is disk, a connection and, at
/// its end, a processing run), and a bound for the node, past which uploads are told to come
/// back shortly. Senders that trickle are cut off (`SlowUploadGuard`), so a slot costs its
/// holder bandwidth.
final class UploadSlots: Sendable {
    let perUser: Int
    let perAddress: Int
    let total: Int
    private let held = Mutex<(total: Int, keys: [String: Int])>((0, [:]))

    init(perUser: Int = 4, perAddress: Int = 16, total: Int = 256) {
        self.perUser = perUser
        self.perAddress = perAddress
        self.total = total
    }

    /// Runs `body` in one of the user's (and address's) slots, or refuses at once.
    func run<T>(for userId: String, from address: String?, _ body: () async throws -> T) async throws -> T {
        let keys = ["user:" + userId] + (address.map { ["address:" + $0] } ?? [])
        try take(keys)
        defer { give(keys) }
        return try await body()
    }

    private func take(_ keys: [String]) throws {
        let refusal = held.withLock { held -> ChatError? in
            for key in keys {
                let limit = key.hasPrefix("user:") ? perUser : perAddress
                if held.keys[key, default: 0] >= limit {
                    let who = key.hasPrefix("user:") ? "account" : "address"
                    return ChatError(.rateLimited, "at most \(limit) uploads at once from one \(who)", retryAfterMs: 1_000)
                }
            }
            if held.total >= total { return ChatError(.unavailable, "the node is receiving many uploads; retry shortly", retryAfterMs: 1_000) }
            for key in keys { held.keys[key, default: 0] += 1 }
            held.total += 1
            return nil
        }
        if let refusal { throw refusal }
    }

    private func give(_ keys: [String]) {
        held.withLock { held in
            held.total -= 1
            for key in keys {
                let left = held.keys[key, default: 1] - 1
                held.keys[key] = left > 0 ? left : nil
            }
        }
    }
}
