/// Exponential backoff with jitter: the n-th wait is `min(cap, base·2ⁿ)`, less a random part
/// of up to `jitter` of it (full jitter by default), so a crowd of clients that lost the same
/// node does not come back in lockstep.
public struct Backoff: Sendable {
    public var base: Duration
    public var cap: Duration
    /// 0…1: how much of each wait is random.
    public var jitter: Double
    private(set) var attempt = 0

    public init(base: Duration = .milliseconds(250), cap: Duration = .seconds(30), jitter: Double = 1) {
        self.base = base
        self.cap = cap
        self.jitter = min(1, max(0, jitter))
    }

    /// The next wait, using `random` (a value in 0…1) for the jitter.
    public mutating func next(random: Double = Double.random(in: 0...1)) -> Duration {
        let ceiling = min(cap, base * Double(1 << min(attempt, 30)))
        attempt += 1
        return ceiling * (1 - jitter * (1 - random))
    }

    /// After a connection that worked: start from the base again.
    public mutating func reset() { attempt = 0 }
}
