import Foundation
import Histogram
import Synchronization

/// A thread-safe HdrHistogram of latencies in microseconds (1 µs … 60 s, 3 digits).
final class Latency: Sendable {
    private let histogram = Mutex(Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three))

    func record(nanoseconds: UInt64) {
        _ = histogram.withLock { $0.record(max(1, min(nanoseconds / 1000, 60_000_000))) }
    }

    var summary: LatencySummary {
        histogram.withLock { h in
            LatencySummary(
                count: h.totalCount,
                p50: Double(h.valueAtPercentile(50)) / 1000, p90: Double(h.valueAtPercentile(90)) / 1000,
                p99: Double(h.valueAtPercentile(99)) / 1000, p999: Double(h.valueAtPercentile(99.9)) / 1000,
                max: Double(h.max) / 1000)
        }
    }
}

/// Latency percentiles in milliseconds.
public struct LatencySummary: Codable, Sendable {
    public var count: UInt64
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double

    var row: String {
        String(format: "p50 %.2f  p90 %.2f  p99 %.2f  p99.9 %.2f  max %.2f ms  (n=%llu)", p50, p90, p99, p999, max, count)
    }
}

/// Monotonic nanoseconds.
func nowNanos() -> UInt64 {
    var spec = timespec()
    clock_gettime(CLOCK_MONOTONIC, &spec)
    return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
}
