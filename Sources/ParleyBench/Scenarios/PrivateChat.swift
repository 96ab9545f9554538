import Foundation
import Synchronization

/// Scenario 2: `pairs` sender→receiver pairs offer `rate` messages per second in total for
/// `seconds`. Measures send→ack and end-to-end (send → receiver's frame) latency from each
/// message's *intended* send time, so a stalled server cannot hide its queueing
/// (no coordinated omission), and counts what never arrived.
public struct PrivateChat: Sendable {
    public var pairs: Int
    public var rate: Double
    public var seconds: Double
    /// Padding added to each text, bytes.
    public var padding: Int

    public init(pairs: Int, rate: Double, seconds: Double, padding: Int = 32) {
        self.pairs = pairs
        self.rate = rate
        self.seconds = seconds
        self.padding = padding
    }

    public struct Result: Codable, Sendable {
        public var pairs: Int
        public var offeredRate: Double
        public var seconds: Double
        public var sent: Int
        public var acknowledged: Int
        public var received: Int
        public var lost: Int
        public var achievedRate: Double
        public var sendToAck: LatencySummary
        public var endToEnd: LatencySummary
        /// How late the generator itself sent, against the schedule: large values mean the
        /// generator, not the server, is the bottleneck.
        public var sendLateness: LatencySummary
    }

    public func run(on target: BenchTarget) async throws -> Result {
        let grants = try await target.users(pairs * 2, prefix: "pc")
        let senders = Array(grants[0..<pairs]), receivers = Array(grants[pairs...])
        let ackLatency = Latency(), endToEnd = Latency(), lateness = Latency()
        let acked = Atomic<Int>(0), received = Atomic<Int>(0)
        let lastReceipt = Atomic<UInt64>(0)
        // Intended send time of each in-flight message, by localId, per sender.
        let inFlight = (0..<pairs).map { _ in InFlight() }

        let receiverConnections = try await target.connect(receivers.map { ($0.accessToken, "bench") }, concurrency: 64, firstNode: 1) { _, frame in
            guard FrameScan.type(of: frame) == "message", let sentAt = FrameScan.leadingInt(ofString: "text", in: frame).map(UInt64.init)
            else { return }
            let now = nowNanos()
            endToEnd.record(nanoseconds: now &- sentAt)
            received.add(1, ordering: .relaxed)
            lastReceipt.store(now, ordering: .relaxed)
        }
        let senderConnections = try await target.connect(senders.map { ($0.accessToken, "bench") }, concurrency: 64) { index, frame in
            guard FrameScan.type(of: frame) == "ack", let localId = FrameScan.string("localId", in: frame) else { return }
            let now = nowNanos()
            if let sentAt = inFlight[index].times.withLock({ $0.removeValue(forKey: localId) }) {
                ackLatency.record(nanoseconds: now &- sentAt)
                acked.add(1, ordering: .relaxed)
            }
        }

        let perSender = rate / Double(pairs)
        let perSenderCount = Int((perSender * seconds).rounded())
        let interval = UInt64(1_000_000_000 / perSender)
        let pad = String(repeating: "x", count: padding)
        let start = nowNanos() + 50_000_000
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<pairs {
                let connection = senderConnections[index], receiverId = receivers[index].userId
                // Spread the senders' schedules across one interval.
                let offset = interval * UInt64(index) / UInt64(pairs)
                group.addTask {
                    for sequence in 0..<perSenderCount {
                        let intended = start + offset + UInt64(sequence) * interval
                        let now = nowNanos()
                        if intended > now { try? await Task.sleep(for: .nanoseconds(Int64(intended - now))) }
                        lateness.record(nanoseconds: nowNanos() &- intended)
                        let localId = "\(index)-\(sequence)"
                        inFlight[index].times.withLock { $0[Substring(localId)] = intended }
                        connection.send(
                            #"{"type":"message","data":{"receiverId":"\#(receiverId)","contentType":"text","content":{"text":"\#(intended) \#(pad)"},"localId":"\#(localId)"}}"#)
                    }
                }
            }
        }
        let total = perSenderCount * pairs
        // Let the tail drain, for at most 10 s.
        let drainDeadline = nowNanos() + 10_000_000_000
        while (received.load(ordering: .relaxed) < total || acked.load(ordering: .relaxed) < total), nowNanos() < drainDeadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for connection in senderConnections + receiverConnections { connection.close() }
        let got = received.load(ordering: .relaxed)
        let elapsed = Double(max(lastReceipt.load(ordering: .relaxed), start + 1) - start) / 1e9
        return Result(
            pairs: pairs, offeredRate: rate, seconds: seconds, sent: total, acknowledged: acked.load(ordering: .relaxed),
            received: got, lost: total - got, achievedRate: Double(got) / max(elapsed, seconds),
            sendToAck: ackLatency.summary, endToEnd: endToEnd.summary, sendLateness: lateness.summary)
    }
}

/// Intended send times of one sender's unacknowledged messages, by localId.
private final class InFlight: Sendable {
    let times = Mutex<[Substring: UInt64]>([:])
}
