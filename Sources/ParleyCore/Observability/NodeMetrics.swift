import Dispatch
import Synchronization

/// A monotonically increasing count.
public final class Counter: Sendable {
    private let value = Atomic<Int>(0)
    public init() {}
    public func add(_ amount: Int = 1) { value.add(amount, ordering: .relaxed) }
    public var current: Int { value.load(ordering: .relaxed) }
}

/// A value that goes up and down, with the highest it reached.
public final class Gauge: Sendable {
    private let value = Atomic<Int>(0)
    private let highest = Atomic<Int>(0)
    public init() {}

    public func add(_ amount: Int) {
        let now = value.add(amount, ordering: .relaxed).newValue
        var peak = highest.load(ordering: .relaxed)
        while now > peak {
            let (exchanged, original) = highest.compareExchange(expected: peak, desired: now, ordering: .relaxed)
            if exchanged { break }
            peak = original
        }
    }

    public var current: Int { value.load(ordering: .relaxed) }
    public var peak: Int { highest.load(ordering: .relaxed) }
}

/// Durations in fixed buckets (Prometheus histogram semantics: cumulative on export).
public final class DurationHistogram: Sendable {
    /// Upper bounds in seconds.
    public static let bounds: [Double] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    private let state = Mutex<(buckets: [Int], sumNanoseconds: UInt64)>((Array(repeating: 0, count: bounds.count + 1), 0))

    public init() {}

    public func observe(nanoseconds: UInt64) {
        let seconds = Double(nanoseconds) / 1e9
        let index = Self.bounds.firstIndex { seconds <= $0 } ?? Self.bounds.count
        state.withLock {
            $0.buckets[index] += 1
            $0.sumNanoseconds &+= nanoseconds
        }
    }

    /// Cumulative counts per bound (the last is +Inf), and the sum in seconds.
    public var snapshot: (cumulative: [Int], sum: Double) {
        let (buckets, sum) = state.withLock { ($0.buckets, $0.sumNanoseconds) }
        var running = 0
        return (buckets.map { running += $0; return running }, Double(sum) / 1e9)
    }
}

/// What a node counts (exported at `/metrics`; names in docs/operations.md).
public final class NodeMetrics: Sendable {
    public let connectionAttempts = Counter()
    public let connectionsAccepted = Counter()
    public let connections = Gauge()
    public let heartbeatTimeouts = Counter()
    public let slowConsumerCutoffs = Counter()
    public let messagesReceived = Counter()
    public let framesDelivered = Counter()
    /// `message` frames handed to sessions (one per message per receiving device).
    public let messagesDelivered = Counter()
    public let filterMasked = Counter()
    public let filterRejected = Counter()
    public let rateLimited = Counter()
    public let loginFailures = Counter()
    public let loginThrottled = Counter()
    /// From a `message` frame's arrival to its `ack` (server side).
    public let sendToAck = DurationHistogram()
    /// From a `message` frame's arrival to its delivery frames being queued for the recipients.
    public let delivery = DurationHistogram()
    /// How long the store took to persist a message.
    public let storeAppend = DurationHistogram()
    public let push = PushMetrics()
    public let media = MediaMetrics()

    public init() {}
}

/// Monotonic nanoseconds, for durations.
public func monotonicNanoseconds() -> UInt64 {
    DispatchTime.now().uptimeNanoseconds
}
