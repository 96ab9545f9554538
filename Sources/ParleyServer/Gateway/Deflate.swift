import CZlib
import Foundation
import NIOCore

/// permessage-deflate (RFC 7692). Every message is compressed on its own, both ways
/// (`server_no_context_takeover` and `client_no_context_takeover`): one compressed frame
/// serves every session that negotiated the extension (a delivery is compressed once, not
/// once per session), and a session keeps no compression state between messages (a zlib
/// stream with its window would cost more than the rest of an idle session).
struct Deflate: Sendable, Equatable {
    /// The window the client allows the server (`server_max_window_bits`, 9…15).
    var windowBits: Int32
    /// Whether the client limited the server's window (the answer then says which it uses).
    var limitedWindow = false

    /// The settings for an upgrade request whose client offered permessage-deflate, or nil.
    init?(offer header: String?) {
        guard let header else { return nil }
        for offer in header.split(separator: ",") {
            let parameters = offer.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard parameters.first?.lowercased() == "permessage-deflate" else { continue }
            var bits: Int32 = 15
            for parameter in parameters.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if pair[0].lowercased() == "server_max_window_bits", pair.count == 2,
                    let value = Int32(pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))), (8...15).contains(value)
                {
                    bits = max(9, value)  // zlib's raw deflate needs at least 9
                    limitedWindow = true
                }
            }
            windowBits = bits
            return
        }
        return nil
    }

    /// The `Sec-WebSocket-Extensions` answer to the offer.
    var responseHeader: String {
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            + (limitedWindow ? "; server_max_window_bits=\(windowBits)" : "")
    }

    /// What inflating a client's message gave.
    enum Inflated {
        case message(ByteBuffer)
        /// More than the allowed size once inflated.
        case tooLarge
        case invalid
    }

    /// A client's compressed message (RSV1 set) inflated, at most `maxSize` bytes. Each message
    /// is a stream of its own (`client_no_context_takeover`).
    static func inflate(_ payload: ByteBuffer, maxSize: Int, allocator: ByteBufferAllocator) -> Inflated {
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        defer { stream.deallocate() }
        // A window of 15 reads whatever window the client compressed with.
        guard inflateInit2_(stream, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return .invalid }
        defer { inflateEnd(stream) }
        var input = payload
        input.writeBytes([0x00, 0x00, 0xff, 0xff])  // the tail the sender removed (RFC 7692 §7.2.2)
        var output = allocator.buffer(capacity: min(maxSize, max(256, payload.readableBytes * 4)))
        return input.withUnsafeMutableReadableBytes { bytes -> Inflated in
            stream.pointee.next_in = bytes.bindMemory(to: Bytef.self).baseAddress
            stream.pointee.avail_in = uInt(bytes.count)
            while true {
                if output.writableBytes == 0 {
                    guard output.capacity < maxSize + 1 else { return .tooLarge }
                    output.reserveCapacity(minimumWritableBytes: min(output.capacity, maxSize + 1 - output.capacity))
                }
                var status: Int32 = Z_OK
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: 0) { out in
                    stream.pointee.next_out = out.bindMemory(to: Bytef.self).baseAddress
                    stream.pointee.avail_out = uInt(out.count)
                    status = CZlib.inflate(stream, Z_SYNC_FLUSH)
                    return out.count - Int(stream.pointee.avail_out)
                }
                if output.readableBytes > maxSize { return .tooLarge }
                switch status {
                case Z_STREAM_END: return .message(output)
                case Z_OK, Z_BUF_ERROR:
                    // Done when all input is read and zlib had room to spare.
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return .message(output) }
                    if status == Z_BUF_ERROR && stream.pointee.avail_out > 0 { return .invalid }
                default: return .invalid
                }
            }
        }
    }

    /// Messages smaller than this go uncompressed (allowed: RSV1 clear).
    static let minimumSize = 256

    /// The payload deflated as one message (the trailing `00 00 ff ff` removed), or nil when
    /// compression fails or does not help.
    func compress(_ payload: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard payload.readableBytes >= Self.minimumSize else { return nil }
        var stream = z_stream()
        guard deflateInit2_(&stream, 6, Z_DEFLATED, -windowBits, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK
        else { return nil }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(payload.readableBytes))) + 16
        var output = allocator.buffer(capacity: bound)
        let produced: Int? = payload.withUnsafeReadableBytes { input in
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(input.count)
                stream.next_out = out.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(out.count)
                guard deflate(&stream, Z_SYNC_FLUSH) == Z_OK, stream.avail_in == 0 else { return 0 }
                return out.count - Int(stream.avail_out)
            }
        }
        guard let produced, produced > 4, produced - 4 < payload.readableBytes else { return nil }
        // Drop the empty stored block's 00 00 ff ff that the sync flush ends with (RFC 7692 §7.2.1).
        output.moveWriterIndex(to: output.writerIndex - 4)
        return output
    }
}
