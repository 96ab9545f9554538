import Synchronization

/// Processing time each user and each client address may spend, refilled at `rate` ms per ms
/// up to `burst` ms. A processing run is admitted while the balance is positive and charged what
/// it really took afterwards (the balance may go negative, and then waits to refill): a 146 KB
/// PNG can cost seconds of CPU, so uploads are limited by what they cost, not by their number.
final class ProcessingBudget: Sendable {
    let rate: Double
    let burst: Double
    private let balances = Mutex<[String: (balance: Double, at: Int64)]>([:])
    /// Keys tracked at most; past this the table is emptied (everyone starts full again).
    private let capacity = 100_000

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// Throws `rate_limited` when any key has spent its budget.
    func admit(_ keys: [String], now: Int64) throws {
        let wait = balances.withLock { all -> Int64? in
            var longest: Int64?
            for key in keys {
                let balance = refilled(all[key], now: now)
                if balance <= 0 { longest = max(longest ?? 0, Int64((-balance + 1) / rate)) }
            }
            return longest
        }
        if let wait {
            throw ChatError(.rateLimited, "too much media processing from this account or address; retry in \(wait) ms", retryAfterMs: wait)
        }
    }

    /// Charges `milliseconds` of processing to every key.
    func charge(_ keys: [String], milliseconds: Double, now: Int64) {
        balances.withLock { all in
            if all.count >= capacity { all.removeAll(keepingCapacity: true) }
            for key in keys { all[key] = (max(-burst, refilled(all[key], now: now) - milliseconds), now) }
        }
    }

    private func refilled(_ entry: (balance: Double, at: Int64)?, now: Int64) -> Double {
        guard let entry else { return burst }
        return min(burst, entry.balance + Double(max(0, now - entry.at)) * rate)
    }
}
