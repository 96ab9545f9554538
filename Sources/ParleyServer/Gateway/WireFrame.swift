import NIOCore

/// A server→client WebSocket text frame as it goes on the wire (header and payload, unmasked),
/// built once per delivery and written as is to every session it is for.
enum WireFrame {
    /// - Parameter compressed: the payload is deflated (permessage-deflate): RSV1 is set.
    static func text(_ payload: ByteBuffer, compressed: Bool = false, allocator: ByteBufferAllocator) -> ByteBuffer {
        let length = payload.readableBytes
        var frame = allocator.buffer(capacity: length + 10)
        frame.writeInteger(UInt8(compressed ? 0xC1 : 0x81))  // FIN (+ RSV1), opcode 1 (text)
        switch length {
        case ..<126:
            frame.writeInteger(UInt8(length))
        case ..<65536:
            frame.writeInteger(UInt8(126))
            frame.writeInteger(UInt16(length))
        default:
            frame.writeInteger(UInt8(127))
            frame.writeInteger(UInt64(length))
        }
        frame.writeImmutableBuffer(payload)
        return frame
    }
}
