import Foundation
import ParleyProtocol
import Testing

/// The hand-written frame writer must decode to exactly what `JSONEncoder` produces.
@Suite("JSON output")
struct JSONOutputTests {
    private struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
    }

    private static let alphabet: [String] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "你", "好", "😀", "\u{2028}", "{", "}", ","]

    private func text(_ g: inout Generator) -> String {
        (0..<Int.random(in: 0...12, using: &g)).map { _ in Self.alphabet.randomElement(using: &g)! }.joined()
    }

    private func value(_ g: inout Generator, depth: Int) -> JSONValue {
        switch Int.random(in: 0...(depth > 2 ? 3 : 5), using: &g) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &g))
        case 2: return Bool.random(using: &g) ? .number(Double(Int.random(in: -1_000_000...1_000_000, using: &g))) : .number(Double.random(in: -1e6...1e6, using: &g))
        case 3: return .string(text(&g))
        case 4: return .array((0..<Int.random(in: 0...3, using: &g)).map { _ in value(&g, depth: depth + 1) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...3, using: &g) { members[text(&g)] = value(&g, depth: depth + 1) }
            return .object(members)
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(bytes))
    }

    private struct Frame<T: Decodable>: Decodable {
        var type: String
        var version: String
        var messageId: String
        var timestamp: Int64
        var requestId: String?
        var data: T
    }

    @Test func messageFramesMatchJSONEncoder() throws {
        var g = Generator(state: 42)
        for _ in 0..<2_000 {
            let payload = MessagePayload(
                messageId: text(&g), timestamp: Int64.random(in: 0...Int64.max, using: &g),
                conversationType: Bool.random(using: &g) ? .private : .group, conversationId: text(&g),
                seq: Int64.random(in: 1...1_000_000, using: &g), senderId: text(&g),
                senderName: Bool.random(using: &g) ? text(&g) : nil, senderAvatar: Bool.random(using: &g) ? text(&g) : nil,
                contentType: text(&g), content: Bool.random(using: &g) ? value(&g, depth: 0) : nil,
                atUsers: (0..<Int.random(in: 0...3, using: &g)).map { _ in text(&g) },
                replyTo: Bool.random(using: &g) ? text(&g) : nil, localId: Bool.random(using: &g) ? text(&g) : nil,
                recalled: Bool.random(using: &g))
            let handWritten = JSONOutput.frame(type: .message, messageId: payload.messageId, timestamp: payload.timestamp, requestId: nil) {
                payload.write(to: &$0)
            }
            let reference = FrameCoder.encode(Envelope(type: .message, messageId: payload.messageId, timestamp: payload.timestamp, data: payload))
            let mine = try decode(Frame<MessagePayload>.self, handWritten)
            let theirs = try decode(Frame<MessagePayload>.self, reference)
            #expect(mine.data == theirs.data)
            #expect(mine.type == "message" && mine.version == "1.0" && mine.requestId == nil)
            #expect(mine.messageId == theirs.messageId && mine.timestamp == theirs.timestamp)
            // Explicit nulls survive, as in the reference encoding.
            let object = try #require(try JSONSerialization.jsonObject(with: Data(handWritten)) as? [String: Any])
            let data = try #require(object["data"] as? [String: Any])
            #expect(Set(data.keys) == ["messageId", "timestamp", "conversationType", "conversationId", "seq", "senderId", "senderName", "senderAvatar", "contentType", "content", "atUsers", "replyTo", "localId", "recalled", "quote", "edited"])
        }
    }

    @Test func ackFramesMatchJSONEncoder() throws {
        var g = Generator(state: 7)
        for _ in 0..<500 {
            let ack = SendAck(localId: text(&g), messageId: text(&g), conversationId: text(&g), seq: Int64.random(in: 1...99, using: &g), timestamp: 17)
            let requestId: String? = Bool.random(using: &g) ? text(&g) : nil
            let mine = try decode(Frame<SendAck>.self, JSONOutput.frame(type: .ack, messageId: "e", timestamp: 1, requestId: requestId) { ack.write(to: &$0) })
            #expect(mine.data == ack && mine.requestId == requestId && mine.type == "ack")
        }
    }
}
