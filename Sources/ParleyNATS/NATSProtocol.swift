import NIOCore

/// A message delivered to a subscription.
public struct NATSMessage: Sendable {
    public var subject: String
    public var replyTo: String?
    /// NATS headers (`HMSG`), e.g. JetStream's status headers; empty for plain `MSG`.
    public var headers: [String: String]
    public var payload: ByteBuffer
    /// The status line of a headers-only status message (`503` no responders, …).
    public var status: Int?
}

/// What the server sends. SPI for the fuzz targets (Fuzz/Sources/FuzzNATSProtocol).
@_spi(Fuzzing) public enum ServerOperation: Sendable {
    case info(String)
    case message(sid: Int, NATSMessage)
    case ping
    case pong
    case ok
    case error(String)
}

/// Splits the server's byte stream into operations (NATS client protocol). SPI for the fuzz
/// targets (Fuzz/Sources/FuzzNATSProtocol).
@_spi(Fuzzing) public struct ServerOperationDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ServerOperation

    public init() {}

    /// The largest payload accepted: NATS servers cap `max_payload` at 64 MiB.
    static let maximumPayload = 64 * 1024 * 1024

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let lineEnd = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 64 * 1024 { throw NATSError.protocolViolation("control line too long") }
            return .needMoreData
        }
        let lineLength = lineEnd - buffer.readerIndex + 1
        guard let rawLine = buffer.getString(at: buffer.readerIndex, length: lineLength) else { return .needMoreData }
        let line = rawLine.trimmingCharacters(in: ["\r", "\n"])
        let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let verb = parts.first?.uppercased() else {
            buffer.moveReaderIndex(forwardBy: lineLength)
            return .continue
        }
        switch verb {
        case "MSG", "HMSG":
            let withHeaders = verb == "HMSG"
            // MSG <subject> <sid> [reply] <#bytes>; HMSG <subject> <sid> [reply] <#hdr> <#total>
            let numbers = withHeaders ? 2 : 1
            guard parts.count == 3 + numbers || parts.count == 4 + numbers,
                let sid = Int(parts[2]), let total = Int(parts[parts.count - 1])
            else { throw NATSError.protocolViolation("bad \(verb) line: \(line)") }
            let headerLength = withHeaders ? (Int(parts[parts.count - 2]) ?? -1) : 0
            guard headerLength >= 0, headerLength <= total else { throw NATSError.protocolViolation("bad header size") }
            // Bounded before any arithmetic: `lineLength + total + 2` traps for a size near Int.max.
            guard total <= Self.maximumPayload else { throw NATSError.protocolViolation("a \(total)-byte payload is over the limit") }
            guard buffer.readableBytes >= lineLength + total + 2 else { return .needMoreData }
            buffer.moveReaderIndex(forwardBy: lineLength)
            let headerText = headerLength > 0 ? buffer.readString(length: headerLength) ?? "" : ""
            let payload = buffer.readSlice(length: total - headerLength) ?? ByteBuffer()
            buffer.moveReaderIndex(forwardBy: 2)  // \r\n
            let (headers, status) = Self.parseHeaders(headerText)
            let reply = parts.count == 4 + numbers ? parts[3] : nil
            context.fireChannelRead(wrapInboundOut(.message(
                sid: sid, NATSMessage(subject: parts[1], replyTo: reply, headers: headers, payload: payload, status: status))))
        case "INFO":
            buffer.moveReaderIndex(forwardBy: lineLength)
            context.fireChannelRead(wrapInboundOut(.info(String(line.dropFirst(4)).trimmingCharacters(in: .whitespaces))))
        case "PING":
            buffer.moveReaderIndex(forwardBy: lineLength)
            context.fireChannelRead(wrapInboundOut(.ping))
        case "PONG":
            buffer.moveReaderIndex(forwardBy: lineLength)
            context.fireChannelRead(wrapInboundOut(.pong))
        case "+OK":
            buffer.moveReaderIndex(forwardBy: lineLength)
            context.fireChannelRead(wrapInboundOut(.ok))
        case "-ERR":
            buffer.moveReaderIndex(forwardBy: lineLength)
            context.fireChannelRead(wrapInboundOut(.error(String(line.dropFirst(4)).trimmingCharacters(in: [" ", "'"]))))
        default:
            throw NATSError.protocolViolation("unknown operation \(verb)")
        }
        return .continue
    }

    /// `NATS/1.0 [status [description]]\r\nKey: Value\r\n…\r\n\r\n`
    static func parseHeaders(_ text: String) -> ([String: String], Int?) {
        guard !text.isEmpty else { return ([:], nil) }
        var lines = text.components(separatedBy: "\r\n")
        let first = lines.removeFirst().split(separator: " ")
        let status = first.count > 1 ? Int(first[1]) : nil
        var headers: [String: String] = [:]
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (headers, status)
    }
}

public enum NATSError: Error, Sendable, Equatable, CustomStringConvertible {
    case protocolViolation(String)
    case server(String)
    case notConnected
    case timeout
    case noResponders

    public var description: String {
        switch self {
        case .protocolViolation(let text): "NATS protocol violation: \(text)"
        case .server(let text): "NATS server error: \(text)"
        case .notConnected: "not connected to NATS"
        case .timeout: "NATS request timed out"
        case .noResponders: "no responders for the NATS request"
        }
    }
}
