import Synchronization

/// Time-ordered unique 63-bit ids, as decimal strings: 41 bits of milliseconds since
/// 2024-01-01, 10 bits of node id, 12 bits of per-millisecond sequence.
public final class Snowflake: Sendable {
    private static let epoch: Int64 = 1_704_067_200_000
    private let node: Int64
    private let clock: WallClock
    private let state = Mutex<(millis: Int64, sequence: Int64)>((0, 0))

    /// - Parameter node: 0…1023, unique per node of a cluster.
    public init(node: Int, clock: WallClock = .system) {
        precondition((0..<1024).contains(node), "node id must be in 0..<1024")
        self.node = Int64(node)
        self.clock = clock
    }

    /// The next id. Never repeats on this node, even if the wall clock steps back.
    public func next() -> String {
        let (millis, sequence) = state.withLock { state -> (Int64, Int64) in
            var now = max(clock.now() - Self.epoch, state.millis)
            var sequence: Int64 = 0
            if now == state.millis {
                sequence = state.sequence + 1
                if sequence >= 4096 {
                    now += 1
                    sequence = 0
                }
            }
            state = (now, sequence)
            return (now, sequence)
        }
        return String(millis << 22 | node << 12 | sequence)
    }
}
