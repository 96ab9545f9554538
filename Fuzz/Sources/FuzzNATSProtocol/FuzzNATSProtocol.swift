import Foundation
import FuzzSupport
import NIOCore
import NIOEmbedded
@_spi(Fuzzing) import ParleyNATS

// Fuzzes the NATS client's reading of the server's byte stream (`ServerOperationDecoder`,
// ParleyNATS/NATSProtocol.swift): INFO, MSG, HMSG, PING, PONG, +OK, -ERR. An input is the bytes
// a server sends on one connection.
//
// The input is decoded twice:
// - in one piece, calling `decode(context:buffer:)` in a loop the way `ByteToMessageHandler`
//   does, so every call can be checked;
// - through the production path, `ByteToMessageHandler(ServerOperationDecoder())` in an
//   `EmbeddedChannel`, written in chunks cut at split points derived from the input (sometimes
//   one byte at a time).
// All operations are drained after every call and write.
//
// Invariants (each a `precondition`):
// 1. `decode` throws only `NATSError`s.
// 2. A call never consumes more bytes than the buffer holds; `.continue` consumed at least one
//    byte (else the handler would loop forever); `.needMoreData` consumed nothing and produced
//    nothing; a call produces at most one operation.
// 3. A message's payload is the bytes just before the two that end the operation, and leaves
//    room for its control line; its subject is not empty and holds no newline.
// 4. The decoder stops for more data on a complete line only when that line is a MSG or HMSG
//    waiting for its payload.
// 5. Split anywhere, the stream yields the same operations, and the same error, as in one piece
//    (for inputs up to 64 KiB, the control-line limit, beyond which the outcome depends on how
//    much was buffered when the limit was checked).

@_cdecl("FuzzNATSProtocol_main")
public func fuzzNATSProtocolMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc: argc, argv: argv) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: size)
    let whole = decodeInOnePiece(input)
    if size <= controlLineLimit {
        let cuts = splitPoints(input)
        let pieces = decodeInPieces(input, cuts: cuts)
        // 5.
        precondition(
            pieces == whole,
            "split at \(cuts) the stream decodes differently:\n  whole  \(whole)\n  pieces \(pieces)\n  input  \(describe(input))")
    }
    return 0
}

/// ServerOperationDecoder's limit on a control line without its newline.
private let controlLineLimit = 64 * 1024

/// A decoded operation in comparable form (the `ByteBuffer` payload as bytes).
private enum Decoded: Equatable {
    case info(String)
    case message(sid: Int, subject: String, replyTo: String?, headers: [String: String], status: Int?, payload: [UInt8])
    case ping
    case pong
    case ok
    case error(String)

    init(_ operation: ServerOperation) {
        switch operation {
        case .info(let text): self = .info(text)
        case .message(let sid, let message):
            self = .message(
                sid: sid, subject: message.subject, replyTo: message.replyTo, headers: message.headers, status: message.status,
                payload: Array(message.payload.readableBytesView))
        case .ping: self = .ping
        case .pong: self = .pong
        case .ok: self = .ok
        case .error(let text): self = .error(text)
        }
    }
}

/// What a stream decodes to: its operations, then the error that stopped it, if any.
private struct Outcome: Equatable, CustomStringConvertible {
    var operations: [Decoded] = []
    var failure: NATSError?

    var description: String { "\(operations.count) operations \(operations), failure: \(failure.map { "\($0)" } ?? "none")" }
}

/// The handler whose context the decoder is called with; what the decoder fires passes it by and
/// lands in the channel's inbound buffer.
private final class Anchor: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
}

private func decodeInOnePiece(_ input: UnsafeBufferPointer<UInt8>) -> Outcome {
    let anchor = Anchor()
    let channel = EmbeddedChannel(handler: anchor)
    defer { _ = try? channel.finish() }
    let context = try! channel.pipeline.syncOperations.context(handler: anchor)
    var buffer = ByteBuffer(bytes: input)
    var decoder = ServerOperationDecoder()
    var outcome = Outcome()
    while true {
        let start = buffer.readerIndex
        let available = buffer.readableBytes
        let state: DecodingState
        do {
            state = try decoder.decode(context: context, buffer: &buffer)
        } catch let error as NATSError {
            outcome.failure = error
            precondition(drain(channel).isEmpty, "an operation was produced by a call that threw")
            return outcome
        } catch {
            // 1.
            preconditionFailure("decode threw \(error), not a NATSError; input \(describe(input))")
        }
        // 2.
        let consumed = buffer.readerIndex - start
        precondition(consumed >= 0 && consumed <= available, "decode consumed \(consumed) of \(available) bytes")
        let produced = drain(channel)
        precondition(produced.count <= 1, "one call produced \(produced.count) operations")
        switch state {
        case .continue:
            precondition(consumed > 0, "decode returned .continue without consuming; input \(describe(input))")
        case .needMoreData:
            precondition(consumed == 0 && produced.isEmpty, "decode asked for more data after consuming \(consumed) bytes")
            checkWaitingLine(buffer, input: input)
            return outcome
        }
        // 3.
        for case .message(_, let message) in produced {
            let end = start + consumed - 2
            let payload = Array(message.payload.readableBytesView)
            precondition(payload.count + 2 < consumed, "a payload of \(payload.count) bytes in an operation of \(consumed)")
            precondition(
                payload.elementsEqual(input[(end - payload.count)..<end]),
                "the payload is not the bytes before the operation's end; input \(describe(input))")
            precondition(
                !message.subject.isEmpty && !message.subject.utf8.contains(UInt8(ascii: "\n")),
                "bad subject \(message.subject.debugDescription)")
        }
        outcome.operations += produced.map(Decoded.init)
    }
}

/// 4. With a whole line waiting in the buffer, it is the control line of a MSG or HMSG whose
/// payload has not fully arrived (the decoder's own reading of the verb, repeated).
private func checkWaitingLine(_ buffer: ByteBuffer, input: UnsafeBufferPointer<UInt8>) {
    guard let lineEnd = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return }
    let length = lineEnd - buffer.readerIndex + 1
    let line = (buffer.getString(at: buffer.readerIndex, length: length) ?? "").trimmingCharacters(in: ["\r", "\n"])
    let verb = line.split(separator: " ", omittingEmptySubsequences: true).first?.uppercased()
    precondition(
        verb == "MSG" || verb == "HMSG",
        "the decoder waits on a complete \(line.debugDescription) line; input \(describe(input))")
}

/// The production pipeline, fed in pieces.
private func decodeInPieces(_ input: UnsafeBufferPointer<UInt8>, cuts: [Int]) -> Outcome {
    let channel = EmbeddedChannel(handler: ByteToMessageHandler(ServerOperationDecoder()))
    defer { _ = try? channel.finish() }
    var outcome = Outcome()
    var start = 0
    for end in cuts + [input.count] where end > start {
        let piece = ByteBuffer(bytes: input[start..<end])
        start = end
        do {
            try channel.writeInbound(piece)
        } catch let error as NATSError {
            outcome.operations += drain(channel).map(Decoded.init)
            outcome.failure = error
            return outcome
        } catch {
            preconditionFailure("the pipeline failed with \(error), not a NATSError; input \(describe(input))")
        }
        outcome.operations += drain(channel).map(Decoded.init)
    }
    return outcome
}

private func drain(_ channel: EmbeddedChannel) -> [ServerOperation] {
    var operations: [ServerOperation] = []
    while let operation = try! channel.readInbound(as: ServerOperation.self) {
        operations.append(operation)
    }
    return operations
}

/// Ascending offsets in 1..<count to cut the input at, chosen by a generator seeded with the
/// input's hash: up to 16 random cuts, or (for one input in eight up to 128 bytes) every offset.
/// (Every offset costs a scan of the buffered bytes per byte: quadratic, so kept to short inputs.)
private func splitPoints(_ input: UnsafeBufferPointer<UInt8>) -> [Int] {
    guard input.count > 1 else { return [] }
    var random = SplitMix64(seed: fnv1a(input))
    if input.count <= 128, random.next() % 8 == 0 {
        return Array(1..<input.count)
    }
    let count = Int.random(in: 1...min(16, input.count - 1), using: &random)
    return Set((0..<count).map { _ in Int.random(in: 1..<input.count, using: &random) }).sorted()
}

/// The bytes for a failure message: as text when short, else their length.
private func describe(_ input: UnsafeBufferPointer<UInt8>) -> String {
    input.count <= 600 ? String(decoding: input, as: UTF8.self).debugDescription : "<\(input.count) bytes>"
}
