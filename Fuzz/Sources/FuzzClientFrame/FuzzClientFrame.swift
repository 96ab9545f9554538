import Foundation
import FuzzSupport
import ParleyProtocol

// Fuzzes what a WebSocket session does with a client text frame: `ClientFrame.parse`, and the
// `FrameCoder` / `JSONOutput` encoders the answers go through. An input is one frame's bytes.
//
// Invariants (each a `precondition`, so a violation is a crash libFuzzer reports):
// 1. `FrameCoder.containsNUL` agrees with a brute-force search for the six bytes `\u0000`, and a
//    frame containing them is refused (NUL message, no `requestId`) whatever else it holds.
// 2. A refused frame carries a non-empty message (it becomes the `error` frame's message).
// 3. A frame that parses re-encodes (`FrameCoder.encode` of `{type, requestId, data}`) and
//    re-parses to the same `requestId` and the same command. Exception, by design: when the
//    re-encoded bytes contain `\u0000` (a decoded string held a backslash followed by `u0000`,
//    e.g. sent as `\u005cu0000`; the encoder escapes the backslash and the NUL check then sees
//    `\\u0000`), the re-parse is refused and nothing is compared; and for inputs nested more
//    than 500 levels deep (Foundation reads 512 levels but writes only 511, see FuzzSupport).
// 4. For `message` and `edit`: the message frame fanned out for it, written by `JSONOutput`
//    (the fast path) and by `FrameCoder.encode` (`JSONEncoder`), decodes with `JSONDecoder` to
//    the same `MessagePayload`; the send `ack` written by `JSONOutput` decodes to the same
//    `SendAck`; `JSONOutput.value` of the content decodes to the same `JSONValue`.

@_cdecl("FuzzClientFrame_main")
public func fuzzClientFrameMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc: argc, argv: argv) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let frame = ClientFrame.parse(Data(bytes))

    // 1. The NUL refusal.
    let hasNUL = FrameCoder.containsNUL(Data(bytes))
    precondition(hasNUL == contains(nulEscape, in: bytes), "containsNUL is \(hasNUL) for \(describe(bytes))")
    if hasNUL {
        guard case .failure(let violation) = frame.command, violation.message.contains("NUL"), frame.requestId == nil else {
            preconditionFailure("a frame with \\u0000 was not refused: \(frame)")
        }
    }

    switch frame.command {
    case .failure(let violation):
        // 2.
        precondition(!violation.message.isEmpty, "empty violation message for \(describe(bytes))")
    case .success(let command):
        guard jsonNestingDepth(bytes) <= reencodableDepth else { return 0 }
        // 3.
        let wire = encodeFrame(command, requestId: frame.requestId)
        if !FrameCoder.containsNUL(Data(wire)) {
            let again = ClientFrame.parse(Data(wire))
            precondition(
                again == frame,
                "round trip changed the frame:\n  input   \(describe(bytes))\n  parsed  \(frame)\n  encoded \(describe(wire))\n  again   \(again)")
        }
        // 4.
        switch command {
        case .message(let send): checkMessageWriters(send, requestId: frame.requestId)
        case .edit(let edit): checkContentWriter(edit.content)
        default: break
        }
    }
    return 0
}

private let nulEscape = Array("\\u0000".utf8)

/// A client frame as the wire carries it; optional members are left out when nil.
private struct WireFrame<Body: Encodable>: Encodable {
    var type: String
    var requestId: String?
    var data: Body?
}

private func encodeFrame(_ command: ClientCommand, requestId: String?) -> [UInt8] {
    switch command {
    case .message(let body): FrameCoder.encode(WireFrame(type: "message", requestId: requestId, data: body))
    case .receipt(let body): FrameCoder.encode(WireFrame(type: "ack", requestId: requestId, data: body))
    case .typing(let body): FrameCoder.encode(WireFrame(type: "typing", requestId: requestId, data: body))
    case .sync(let body): FrameCoder.encode(WireFrame(type: "sync", requestId: requestId, data: body))
    case .history(let body): FrameCoder.encode(WireFrame(type: "history", requestId: requestId, data: body))
    case .recall(let body): FrameCoder.encode(WireFrame(type: "recall", requestId: requestId, data: body))
    case .presence(let body): FrameCoder.encode(WireFrame(type: "presence", requestId: requestId, data: body))
    case .edit(let body): FrameCoder.encode(WireFrame(type: "edit", requestId: requestId, data: body))
    case .delete(let body): FrameCoder.encode(WireFrame(type: "delete", requestId: requestId, data: body))
    case .react(let body): FrameCoder.encode(WireFrame(type: "react", requestId: requestId, data: body))
    case .ping: FrameCoder.encode(WireFrame<EmptyPayload>(type: "ping", requestId: requestId, data: nil))
    }
}

/// A server frame read back by a client: the envelope around `data`.
private struct ReceivedFrame<Payload: Decodable>: Decodable {
    var type: String
    var version: String
    var messageId: String
    var timestamp: Int64
    var requestId: String?
    var data: Payload
}

/// Builds the `message` frame and the `ack` a send fans out, from the fuzzed strings and content,
/// and reads them back.
private func checkMessageWriters(_ send: SendMessage, requestId: String?) {
    // `content: JSONValue?` decodes a JSON null as nil: build the payload the way it reads back.
    let content: JSONValue? = send.content == .null ? nil : send.content
    let quote = send.replyTo.map {
        Quote(
            messageId: $0, senderId: send.receiverId ?? "", senderName: send.groupId, contentType: send.contentType,
            preview: send.conversationId ?? "", recalled: send.atUsers?.isEmpty ?? true)
    }
    let payload = MessagePayload(
        messageId: send.localId, timestamp: Int64(send.localId.utf8.count), conversationType: send.conversationType ?? .private,
        conversationId: send.conversationId ?? "", seq: Int64(send.atUsers?.count ?? 0), senderId: send.receiverId ?? "",
        senderName: send.groupId, senderAvatar: send.replyTo, contentType: send.contentType, content: content,
        atUsers: send.atUsers ?? [], replyTo: send.replyTo, localId: send.localId, recalled: quote == nil,
        quote: quote, edited: send.replyTo != nil, editedAt: send.replyTo.map { Int64($0.utf8.count) })

    let fast = JSONOutput.frame(type: .message, messageId: payload.messageId, timestamp: payload.timestamp, requestId: requestId) {
        payload.write(to: &$0)
    }
    let generic = FrameCoder.encode(
        Envelope(type: .message, messageId: payload.messageId, timestamp: payload.timestamp, requestId: requestId, data: payload))
    for (writer, bytes) in [("JSONOutput", fast), ("JSONEncoder", generic)] {
        guard let read = try? JSONDecoder().decode(ReceivedFrame<MessagePayload>.self, from: Data(bytes)) else {
            preconditionFailure("\(writer) wrote a message frame JSONDecoder cannot read: \(describe(bytes))")
        }
        precondition(
            read.type == "message" && read.version == protocolVersion && read.messageId == payload.messageId
                && read.timestamp == payload.timestamp && read.requestId == requestId && read.data == payload,
            "\(writer) message frame reads back differently:\n  wrote \(describe(bytes))\n  want  \(payload)\n  got   \(read.data)")
    }

    let ack = SendAck(
        localId: send.localId, messageId: send.contentType, conversationId: send.conversationId ?? "",
        seq: Int64(send.localId.utf8.count), timestamp: Int64(send.contentType.utf8.count))
    let ackBytes = JSONOutput.frame(type: .ack, messageId: send.localId, timestamp: ack.timestamp, requestId: requestId) {
        ack.write(to: &$0)
    }
    guard let readAck = try? JSONDecoder().decode(ReceivedFrame<SendAck>.self, from: Data(ackBytes)) else {
        preconditionFailure("JSONOutput wrote an ack JSONDecoder cannot read: \(describe(ackBytes))")
    }
    precondition(
        readAck.type == "ack" && readAck.requestId == requestId && readAck.data == ack,
        "JSONOutput ack reads back differently: \(describe(ackBytes))")

    checkContentWriter(send.content)
}

/// `JSONOutput.value` writes JSON that decodes to the same value (inside an array, where a JSON
/// null stays `.null`).
private func checkContentWriter(_ content: JSONValue) {
    var out = JSONOutput()
    out.array { $0.value(content) }
    guard let read = try? JSONDecoder().decode([JSONValue].self, from: Data(out.bytes)) else {
        preconditionFailure("JSONOutput.value wrote JSON that does not decode: \(describe(out.bytes))")
    }
    precondition(read == [content], "JSONOutput.value changed the content: \(content) → \(read)")
}

/// The bytes for a failure message: as text when short, else their length.
private func describe(_ bytes: [UInt8]) -> String {
    bytes.count <= 600 ? String(decoding: bytes, as: UTF8.self).debugDescription : "<\(bytes.count) bytes>"
}
