import Foundation

/// Wall-clock time in Unix epoch milliseconds; swapped in tests.
public struct WallClock: Sendable {
    public var now: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64) { self.now = now }

    /// The system clock.
    public static let system = WallClock { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }
}
