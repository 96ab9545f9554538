/// A rate limit: `rate` tokens per second, up to `burst` saved up.
struct TokenBucket {
    let rate: Double
    let burst: Double
    private var tokens: Double
    private var updatedAt: Int64

    init(rate: Double, burst: Double, now: Int64) {
        self.rate = rate
        self.burst = max(1, burst)
        self.tokens = max(1, burst)
        self.updatedAt = now
    }

    /// Takes a token if one is there; otherwise returns the ms until one will be.
    mutating func take(now: Int64) -> Int64? {
        let elapsed = Double(max(0, now - updatedAt)) / 1000
        tokens = min(burst, tokens + elapsed * rate)
        updatedAt = now
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        guard rate > 0 else { return Int64.max }
        return Int64(((1 - tokens) / rate * 1000).rounded(.up))
    }
}
