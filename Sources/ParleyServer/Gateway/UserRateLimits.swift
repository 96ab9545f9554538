import Synchronization

/// Message rate per user, across all of the user's sessions on this node (a user cannot
/// multiply their allowance by opening more devices).
final class UserRateLimits: Sendable {
    private let rate: Double
    private let burst: Double
    private let buckets = Mutex<[String: TokenBucket]>([:])
    /// Users tracked at most; the table is emptied past this.
    private let capacity = 200_000

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// Nil when the user may send now; otherwise the ms to wait.
    func take(_ userId: String, now: Int64) -> Int64? {
        buckets.withLock { all in
            if all.count >= capacity, all[userId] == nil { all.removeAll(keepingCapacity: true) }
            var bucket = all[userId] ?? TokenBucket(rate: rate, burst: burst, now: now)
            let wait = bucket.take(now: now)
            all[userId] = bucket
            return wait
        }
    }
}
