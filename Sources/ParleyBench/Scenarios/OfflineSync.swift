import Foundation
import Synchronization

/// Scenario 4: a user misses `missed` messages, then reconnects; measures the time from
/// opening the socket to holding every missed message (sync, then history pages of 200).
public struct OfflineSync: Sendable {
    public var missed: Int

    public init(missed: Int) { self.missed = missed }

    public struct Result: Codable, Sendable {
        public var missed: Int
        public var fetched: Int
        public var seconds: Double
        public var messagesPerSecond: Double
    }

    public func run(on target: BenchTarget) async throws -> Result {
        let grants = try await target.users(2, prefix: "os")
        let sender = grants[0], receiver = grants[1]
        // Fill the mailbox: pipelined sends, then wait for every ack.
        let acked = Atomic<Int>(0)
        let senders = try await target.connect([(sender.accessToken, "bench")], concurrency: 1) { _, frame in
            if FrameScan.type(of: frame) == "ack" { acked.add(1, ordering: .relaxed) }
        }
        for index in 0..<missed {
            senders[0].send(#"{"type":"message","data":{"receiverId":"\#(receiver.userId)","contentType":"text","content":{"text":"missed \#(index)"},"localId":"m\#(index)"}}"#)
        }
        while acked.load(ordering: .relaxed) < missed { try await Task.sleep(for: .milliseconds(10)) }
        senders[0].close()

        let replies = AsyncStream<String>.makeStream()
        let start = nowNanos()
        let connections = try await target.connect([(receiver.accessToken, "phone")], concurrency: 1) { _, frame in
            if FrameScan.string("requestId", in: frame) != nil { replies.continuation.yield(frame) }
        }
        var iterator = replies.stream.makeAsyncIterator()
        let socket = connections[0]
        socket.send(#"{"type":"sync","requestId":"s","data":{"since":0,"notificationsAfter":0}}"#)
        guard let sync = await iterator.next(), let conversationId = FrameScan.string("conversationId", in: sync),
            let lastSeq = FrameScan.int("lastSeq", in: sync)
        else { throw BenchError("sync reply without the conversation") }
        var cursor: Int64 = 0, fetched = 0
        while cursor < lastSeq {
            socket.send(#"{"type":"history","requestId":"h\#(cursor)","data":{"conversationId":"\#(conversationId)","afterSeq":\#(cursor),"limit":200}}"#)
            guard let page = await iterator.next() else { throw BenchError("connection lost during history") }
            let count = page.components(separatedBy: "\"seq\":").count - 1
            guard count > 0 else { break }
            fetched += count
            cursor += Int64(count)
        }
        let seconds = Double(nowNanos() - start) / 1e9
        socket.close()
        return Result(missed: missed, fetched: fetched, seconds: seconds, messagesPerSecond: Double(fetched) / seconds)
    }
}
