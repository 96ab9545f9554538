import Foundation
import ParleyProtocol
import Testing

@Suite("Server frame encoding")
struct EncodingTests {
    private func json(_ bytes: [UInt8]) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    }

    @Test func messageFramesCarryExplicitNulls() throws {
        let payload = MessagePayload(
            messageId: "m1", timestamp: 5, conversationType: .private, conversationId: "p_1_2", seq: 3,
            senderId: "1", senderName: "张三", senderAvatar: nil, contentType: "text",
            content: .object(["text": .string("hi")]), atUsers: [], replyTo: nil, localId: "l", recalled: false)
        let envelope = Envelope(type: .message, messageId: "m1", timestamp: 5, data: payload)
        let object = try json(FrameCoder.encode(envelope))
        #expect(object["type"] as? String == "message")
        #expect(object["version"] as? String == "1.0")
        #expect(object["requestId"] == nil)
        let data = try #require(object["data"] as? [String: Any])
        #expect(data["senderAvatar"] is NSNull)
        #expect(data["replyTo"] is NSNull)
        #expect(data["seq"] as? Int == 3)
        #expect((data["content"] as? [String: Any])?["text"] as? String == "hi")
    }

    @Test func integralNumbersStayIntegral() throws {
        let text = JSONValue.object(["n": .number(42), "x": .number(1.5)]).jsonText
        #expect(text == #"{"n":42,"x":1.5}"#)
        #expect(JSONValue(jsonText: text) == .object(["n": .number(42), "x": .number(1.5)]))
    }
}
