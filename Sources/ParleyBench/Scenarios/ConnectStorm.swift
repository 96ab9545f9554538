import Foundation

/// Scenario 1: open `connections` sessions (spread over `users` users, one device each per
/// session), report the connect rate, hold them idle, and report the server's memory per
/// connection.
public struct ConnectStorm: Sendable {
    public var connections: Int
    public var users: Int
    public var concurrency: Int
    public var holdSeconds: Double

    public init(connections: Int, users: Int, concurrency: Int = 256, holdSeconds: Double = 5) {
        self.connections = connections
        self.users = users
        self.concurrency = concurrency
        self.holdSeconds = holdSeconds
    }

    public struct Result: Codable, Sendable {
        public var connections: Int
        public var connected: Int
        public var seconds: Double
        public var connectRate: Double
        public var serverRSSBefore: Int?
        public var serverRSSHeld: Int?
        public var bytesPerConnection: Int?
    }

    /// Runs the storm; `held` is called while the connections are open (to measure from
    /// outside, e.g. other generator processes).
    public func run(on target: BenchTarget, held: @Sendable () async -> Void = {}) async throws -> Result {
        let grants = try await target.users(max(1, users), prefix: "cs")
        let before = target.serverRSS()
        let plan = (0..<connections).map { index in (grants[index % grants.count].accessToken, "d\(index)") }
        let start = nowNanos()
        let open = try await target.connect(plan, concurrency: concurrency) { _, _ in }
        let seconds = Double(nowNanos() - start) / 1e9
        await held()
        try await Task.sleep(for: .seconds(holdSeconds))
        let during = target.serverRSS()
        for connection in open { connection.close() }
        return Result(
            connections: connections, connected: open.count, seconds: seconds, connectRate: Double(open.count) / seconds,
            serverRSSBefore: before, serverRSSHeld: during,
            bytesPerConnection: before.flatMap { b in during.map { ($0 - b) / max(1, open.count) } })
    }
}
