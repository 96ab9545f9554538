/// A minimal JSON writer for the frames sent most often (`message`, `ack`): the generic
/// `JSONEncoder` costs more CPU than storing the message. Output is RFC 8259 JSON that decodes
/// to the same values as `JSONEncoder`'s (a property test compares them).
public struct JSONOutput {
    public private(set) var bytes: [UInt8] = []
    private var needsComma = false

    public init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    /// Writes `{ … }` with the members `body` writes.
    public mutating func object(_ body: (inout JSONOutput) -> Void) {
        container(UInt8(ascii: "{"), UInt8(ascii: "}"), body)
    }

    /// Writes `[ … ]` with the elements `body` writes.
    public mutating func array(_ body: (inout JSONOutput) -> Void) {
        container(UInt8(ascii: "["), UInt8(ascii: "]"), body)
    }

    private mutating func container(_ open: UInt8, _ close: UInt8, _ body: (inout JSONOutput) -> Void) {
        separate()
        bytes.append(open)
        needsComma = false
        body(&self)
        bytes.append(close)
        needsComma = true
    }

    /// Writes the key of the next member.
    public mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        key.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        needsComma = false
    }

    public mutating func member(_ name: StaticString, _ value: String) { key(name); string(value) }
    public mutating func member(_ name: StaticString, _ value: String?) { key(name); if let value { string(value) } else { null() } }
    public mutating func member(_ name: StaticString, _ value: Int64) { key(name); number(value) }
    public mutating func member(_ name: StaticString, _ value: Bool) { key(name); literal(value ? "true" : "false") }
    public mutating func member(_ name: StaticString, _ value: JSONValue?) { key(name); if let value { self.value(value) } else { null() } }
    public mutating func member(_ name: StaticString, _ value: [String]) {
        key(name)
        array { for item in value { $0.string(item) } }
    }

    public mutating func null() { literal("null") }

    public mutating func number(_ value: Int64) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
        needsComma = true
    }

    public mutating func string(_ value: String) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    public mutating func value(_ value: JSONValue) {
        switch value {
        case .null: null()
        case .bool(let flag): literal(flag ? "true" : "false")
        case .number(let number):
            if number.rounded() == number, abs(number) < 9.0e15 {
                self.number(Int64(number))
            } else if number.isFinite {
                separate()
                bytes.append(contentsOf: "\(number)".utf8)
                needsComma = true
            } else {
                null()
            }
        case .string(let text): string(text)
        case .array(let items):
            array { for item in items { $0.value(item) } }
        case .object(let members):
            object { o in
                for (name, item) in members.sorted(by: { $0.key < $1.key }) {
                    o.string(name)
                    o.bytes.append(UInt8(ascii: ":"))
                    o.needsComma = false
                    o.value(item)
                }
            }
        }
    }

    private mutating func literal(_ text: StaticString) {
        separate()
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
        needsComma = true
    }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = false
    }
}

extension MessagePayload {
    /// Writes this payload as a JSON object (the `data` of a `message` frame).
    public func write(to out: inout JSONOutput) {
        out.object { o in
            o.member("messageId", messageId)
            o.member("timestamp", timestamp)
            o.member("conversationType", conversationType.rawValue)
            o.member("conversationId", conversationId)
            o.member("seq", seq)
            o.member("senderId", senderId)
            o.member("senderName", senderName)
            o.member("senderAvatar", senderAvatar)
            o.member("contentType", contentType)
            o.member("content", content)
            o.member("atUsers", atUsers)
            o.member("replyTo", replyTo)
            o.member("localId", localId)
            o.member("recalled", recalled)
            o.member("quote", quote?.jsonValue ?? .null)
            o.member("edited", edited)
            if let editedAt { o.member("editedAt", editedAt) }
        }
    }
}

extension SendAck {
    /// Writes this ack as a JSON object (the `data` of an `ack` frame).
    public func write(to out: inout JSONOutput) {
        out.object { o in
            o.member("status", status)
            o.member("localId", localId)
            o.member("messageId", messageId)
            o.member("conversationId", conversationId)
            o.member("seq", seq)
            o.member("timestamp", timestamp)
        }
    }
}

extension JSONOutput {
    /// A whole server frame: the envelope around a payload the caller writes.
    public static func frame(
        type: FrameType, messageId: String, timestamp: Int64, requestId: String?, data: (inout JSONOutput) -> Void
    ) -> [UInt8] {
        var out = JSONOutput()
        out.object { o in
            o.member("type", type.rawValue)
            o.member("version", protocolVersion)
            o.member("messageId", messageId)
            o.member("timestamp", timestamp)
            if let requestId { o.member("requestId", requestId) }
            o.key("data")
            data(&o)
        }
        return out.bytes
    }
}
