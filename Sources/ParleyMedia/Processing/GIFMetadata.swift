/// A GIF rewritten block by block with only what draws it: the screen, colour tables, images,
/// graphic controls and the looping extension. Comments, XMP and every other application
/// extension go, and so does anything after the trailer (a GIF carries no EXIF, but a comment can
/// name a place as well as a GPS tag). Nothing is decoded or re-encoded, so animations stay as
/// they were, at no cost.
enum GIFMetadata {
    struct Malformed: Error {}

    static func strip(_ bytes: [UInt8]) throws -> [UInt8] {
        var reader = Reader(bytes: bytes)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        let header = try reader.take(6)
        guard header == Array("GIF87a".utf8) || header == Array("GIF89a".utf8) else { throw Malformed() }
        out += header
        let screen = try reader.take(7)
        out += screen
        if screen[4] & 0x80 != 0 { out += try reader.take(3 << (Int(screen[4] & 0x07) + 1)) }
        while true {
            let introducer = try reader.byte()
            switch introducer {
            case 0x2C:  // An image: descriptor, local colour table, LZW data.
                let descriptor = try reader.take(9)
                out.append(introducer)
                out += descriptor
                if descriptor[8] & 0x80 != 0 { out += try reader.take(3 << (Int(descriptor[8] & 0x07) + 1)) }
                out.append(try reader.byte())
                out += try reader.subBlocks()
            case 0x21:
                let label = try reader.byte()
                let blocks = try reader.subBlocks()
                let application = label == 0xFF && blocks.count >= 12 ? Array(blocks[1..<12]) : []
                let keep = label == 0xF9 || application == Array("NETSCAPE2.0".utf8) || application == Array("ANIMEXTS1.0".utf8)
                if keep { out += [introducer, label] + blocks }
            case 0x3B:
                out.append(introducer)
                return out
            default:
                throw Malformed()
            }
        }
    }

    struct Reader {
        let bytes: [UInt8]
        var offset = 0

        mutating func byte() throws -> UInt8 {
            guard offset < bytes.count else { throw Malformed() }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func take(_ count: Int) throws -> [UInt8] {
            guard count >= 0, offset + count <= bytes.count else { throw Malformed() }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        /// Data sub-blocks up to and with their terminator, as they stand.
        mutating func subBlocks() throws -> [UInt8] {
            var out: [UInt8] = []
            while true {
                let size = try byte()
                out.append(size)
                if size == 0 { return out }
                out += try take(Int(size))
            }
        }
    }
}
