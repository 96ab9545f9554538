import CZlib
import Foundation
import NIOCore

/// permessage-deflate (RFC 7692) for outgoing frames. Every message is compressed on its own
/// (a fresh raw-deflate stream, as with `server_no_context_takeover`), so one compressed
/// frame serves every session that negotiated the extension: a delivery is compressed once,
/// not once per session.
struct Deflate: Sendable, Equatable {
    /// The window the client allows the server (`server_max_window_bits`, 9…15).
    var windowBits: Int32

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
                }
            }
            windowBits = bits
            return
        }
        return nil
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
