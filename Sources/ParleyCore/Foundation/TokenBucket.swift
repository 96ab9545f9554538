import Synchronization

/// A rate limit: `rate` tokens per second, up to `burst` saved up.
public struct TokenBucket: Sendable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var updatedAt: Int64

    public init(rate: Double, burst: Double, now: Int64) {
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = max(1, burst)
        self.updatedAt = now
    }

    /// Takes `cost` tokens if they are there; otherwise returns the ms until they will be
    /// (a cost above the burst never fits: the wait is then for a full bucket).
    public mutating func take(now: Int64, cost: Double = 1) -> Int64? {
        let elapsed = Double(max(0, now - updatedAt)) / 1000
        tokens = min(burst, tokens + elapsed * rate)
        updatedAt = now
        if tokens >= cost {
            tokens -= cost
            return nil
        }
        guard rate > 0 else { return Int64.max }
        // Clamped: a tiny rate would make the wait too large for an Int64 (a trap).
        return Int64(min(((min(cost, burst) - tokens) / rate * 1000).rounded(.up), 1e15))
    }
}

/// One `TokenBucket` per key (a user, a client address), so no key can use up another's
/// allowance. A user's buckets are shared across their sessions on this node (more devices
/// do not multiply the allowance).
public final class KeyedRateLimit: Sendable {
    /// What is limited, for the error message ("registrations", "messages from this account").
    public let what: String
    private let rate: Double
    private let burst: Double
    private let buckets = Mutex<[String: TokenBucket]>([:])
    /// Keys tracked at most; the table is emptied past this (an attacker cannot grow it without bound).
    private let capacity = 200_000

    public init(_ what: String, rate: Double, burst: Double) {
        self.what = what
        self.rate = rate
        self.burst = burst
    }

    /// Nil when `key` may go ahead now (`cost` tokens taken); otherwise the ms to wait.
    public func take(_ key: String, now: Int64, cost: Int = 1) -> Int64? {
        buckets.withLock { all in
            if all.count >= capacity, all[key] == nil { all.removeAll(keepingCapacity: true) }
            var bucket = all[key] ?? TokenBucket(rate: rate, burst: burst, now: now)
            let wait = bucket.take(now: now, cost: Double(cost))
            all[key] = bucket
            return wait
        }
    }

    /// Takes `cost` tokens for `key`, or throws `rate_limited` with the wait.
    public func admit(_ key: String, now: Int64, cost: Int = 1) throws {
        if let wait = take(key, now: now, cost: cost) {
            throw ChatError(.rateLimited, "too many \(what); retry in \(wait) ms", retryAfterMs: wait)
        }
    }
}
