import Foundation
import ParleyProtocol
import Testing

@Suite("Client frame parsing")
struct ClientFrameTests {
    private func parse(_ text: String) -> ClientFrame { ClientFrame.parse(Data(text.utf8)) }

    @Test func parsesAMessageFrame() throws {
        let frame = parse("""
            {"type":"message","requestId":"r1","data":{"conversationType":"private","receiverId":"7",
             "contentType":"text","content":{"text":"你好"},"localId":"l1","atUsers":[],"replyTo":null}}
            """)
        #expect(frame.requestId == "r1")
        guard case .success(.message(let message)) = frame.command else {
            Issue.record("expected a message, got \(frame.command)")
            return
        }
        #expect(message.receiverId == "7")
        #expect(message.content == .object(["text": .string("你好")]))
        #expect(message.localId == "l1")
        #expect(message.replyTo == nil)
    }

    @Test func keepsTheRequestIdOfABrokenFrame() {
        let frame = parse(#"{"type":"message","requestId":"r9","data":{"contentType":"text"}}"#)
        #expect(frame.requestId == "r9")
        guard case .failure(let violation) = frame.command else {
            Issue.record("expected a violation")
            return
        }
        #expect(violation.message.contains("content") || violation.message.contains("localId"))
    }

    @Test(arguments: [
        (#"{"type":"teleport","data":{}}"#, "unknown frame type 'teleport'"),
        (#"{"data":{}}"#, "missing field 'type'"),
        (#"{"type":"ack","data":{"conversationId":"c","seq":"1","status":"read"}}"#, "field 'data.seq' must be a number"),
        (#"{"type":"ack","data":{"conversationId":"c","seq":1,"status":"seen"}}"#, "data.status"),
        (#"{"type":"recall"}"#, "missing field 'data'"),
        ("not json", "malformed JSON"),
        ("[1,2]", "must be a JSON object"),
    ])
    func describesWhatIsWrong(input: String, expected: String) {
        guard case .failure(let violation) = parse(input).command else {
            Issue.record("expected a violation for \(input)")
            return
        }
        #expect(violation.message.contains(expected), "\(violation.message)")
    }

    @Test func syncDataIsOptional() {
        #expect(parse(#"{"type":"sync"}"#).command == .success(.sync(SyncRequest())))
        #expect(parse(#"{"type":"ping"}"#).command == .success(.ping))
    }
}
