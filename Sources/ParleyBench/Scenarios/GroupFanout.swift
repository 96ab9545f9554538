import Foundation
import ParleyClient
import ParleyProtocol
import Synchronization

/// Scenario 3: one group of `members` members, `connected` of them online (one session each);
/// the owner sends `rate` messages per second for `seconds`. Measures deliveries per second
/// over all online members and delivery latency from each message's intended send time.
public struct GroupFanout: Sendable {
    public var members: Int
    public var connected: Int
    public var rate: Double
    public var seconds: Double

    public init(members: Int, connected: Int, rate: Double, seconds: Double) {
        self.members = members
        self.connected = connected
        self.rate = rate
        self.seconds = seconds
    }

    public struct Result: Codable, Sendable {
        public var members: Int
        public var connected: Int
        public var offeredRate: Double
        public var seconds: Double
        public var sent: Int
        public var acknowledged: Int
        public var expectedDeliveries: Int
        public var deliveries: Int
        public var lost: Int
        public var deliveriesPerSecond: Double
        public var delivery: LatencySummary
        public var sendToAck: LatencySummary
    }

    /// Largest member list per request (request bodies are bounded).
    static let membersPerRequest = 2_000

    public func run(on target: BenchTarget) async throws -> Result {
        precondition(connected < members, "the owner is a member that sends; connected members are the others")
        let grants = try await target.users(members, prefix: "gf")
        let owner = grants[0], others = Array(grants[1...])
        let groupId = try await makeGroup(owner: owner, members: others.map(\.userId), on: target)

        let delivery = Latency(), ackLatency = Latency()
        let delivered = Atomic<Int>(0), acked = Atomic<Int>(0), lastDelivery = Atomic<UInt64>(0)
        let online = try await target.connect(others.prefix(connected).map { ($0.accessToken, "bench") }, concurrency: 64) { _, frame in
            guard FrameScan.type(of: frame) == "message", let sentAt = FrameScan.leadingInt(ofString: "text", in: frame).map(UInt64.init)
            else { return }
            let now = nowNanos()
            delivery.record(nanoseconds: now &- sentAt)
            delivered.add(1, ordering: .relaxed)
            lastDelivery.store(now, ordering: .relaxed)
        }
        let sentAt = Mutex<[Int: UInt64]>([:])
        let sender = try await target.connect([(owner.accessToken, "bench-sender")], concurrency: 1) { _, frame in
            guard FrameScan.type(of: frame) == "ack", let localId = FrameScan.string("localId", in: frame), let index = Int(localId) else { return }
            if let intended = sentAt.withLock({ $0.removeValue(forKey: index) }) {
                ackLatency.record(nanoseconds: nowNanos() &- intended)
                acked.add(1, ordering: .relaxed)
            }
        }[0]

        let count = Int((rate * seconds).rounded())
        let interval = UInt64(1_000_000_000 / rate)
        let start = nowNanos() + 50_000_000
        for index in 0..<count {
            let intended = start + UInt64(index) * interval
            let now = nowNanos()
            if intended > now { try? await Task.sleep(for: .nanoseconds(Int64(intended - now))) }
            sentAt.withLock { $0[index] = intended }
            sender.send(#"{"type":"message","data":{"groupId":"\#(groupId)","contentType":"text","content":{"text":"\#(intended) fanout"},"localId":"\#(index)"}}"#)
        }
        let expected = count * online.count
        let deadline = nowNanos() + 20_000_000_000
        while delivered.load(ordering: .relaxed) < expected || acked.load(ordering: .relaxed) < count, nowNanos() < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for connection in online + [sender] { connection.close() }
        let got = delivered.load(ordering: .relaxed)
        let elapsed = Double(max(lastDelivery.load(ordering: .relaxed), start + 1) - start) / 1e9
        return Result(
            members: members, connected: online.count, offeredRate: rate, seconds: seconds, sent: count,
            acknowledged: acked.load(ordering: .relaxed), expectedDeliveries: expected, deliveries: got, lost: expected - got,
            deliveriesPerSecond: Double(got) / max(elapsed, seconds), delivery: delivery.summary, sendToAck: ackLatency.summary)
    }

    /// Creates the group, adding members in bounded batches.
    private func makeGroup(owner: TokenGrant, members: [String], on target: BenchTarget) async throws -> String {
        let client = ParleyClient(configuration: ClientConfiguration(serverURL: target.server, deviceId: "bench-owner"))
        await client.signIn(with: owner)
        let batches = stride(from: 0, to: members.count, by: Self.membersPerRequest).map {
            Array(members[$0..<min($0 + Self.membersPerRequest, members.count)])
        }
        let created = try await client.createGroup(CreateGroup(name: "bench fanout", memberIds: batches.first ?? []))
        for batch in batches.dropFirst() {
            _ = try await client.invite(batch, to: created.groupId)
        }
        return created.groupId
    }
}
