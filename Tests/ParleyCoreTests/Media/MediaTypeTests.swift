@testable import ParleyCore
import Testing

@Suite("Media types: sniffed, never declared")
struct MediaTypeTests {
    static func bytes(_ text: String, pad: Int = 64) -> [UInt8] { Array(text.utf8) + Array(repeating: 0, count: pad) }

    @Test(arguments: [
        ([0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 0, count: 60), "image/jpeg"),
        (pngBytes, "image/png"),
        (bytes("GIF89a"), "image/gif"),
        (bytes("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 "), "image/webp"),
        (bytes("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt "), "audio/wav"),
        ([0, 0, 0, 0x18] + bytes("ftypisom"), "video/mp4"),
        ([0, 0, 0, 0x18] + bytes("ftypqt  "), "video/quicktime"),
        ([0, 0, 0, 0x18] + bytes("ftypheic"), "image/heic"),
        (bytes("OggS"), "audio/ogg"),
        (bytes("ID3\u{4}"), "audio/mpeg"),
    ] as [([UInt8], String)])
    func mediaIsKnownByItsBytes(head: [UInt8], mimeType: String) throws {
        #expect(try MediaType.classify(head, declared: nil).mimeType == mimeType)
    }

    @Test func htmlDeclaredAsAnImageIsRefusedAndIsAFileOtherwise() throws {
        let html = Self.bytes("<!doctype html><script>alert(1)</script>")
        let refusal = #expect(throws: ChatError.self) { try MediaType.classify(html, declared: "image/png") }
        #expect(refusal?.code == .unsupportedMediaType)
        #expect(try MediaType.classify(html, declared: "text/html") == MediaType(mimeType: "application/octet-stream", kind: .file))
        // A BMP is no image Parley takes: as a file it is fine.
        #expect(throws: ChatError.self) { try MediaType.classify(Self.bytes("BM6"), declared: "image/bmp") }
        #expect(try MediaType.classify(Self.bytes("BM6"), declared: "application/octet-stream").kind == .file)
    }

    /// A frame sync is two bytes: only a plausible MPEG audio header counts, so a UTF-16 text's
    /// byte-order mark (FF FE) stays text.
    @Test func aUTF16TextIsNotAnMP3() throws {
        let text: [UInt8] = [0xFF, 0xFE] + Array("hello".utf16).flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] } + Array(repeating: 0, count: 50)
        #expect(try MediaType.classify(text, declared: "text/plain").kind == .file)
        let frame: [UInt8] = [0xFF, 0xFB, 0x90, 0x64] + Array(repeating: 0, count: 60)  // MPEG-1 layer III, 128 kbit/s, 44.1 kHz
        #expect(try MediaType.classify(frame, declared: nil).mimeType == "audio/mpeg")
    }

    @Test func theKindFollowsTheBytesNotTheDeclaration() throws {
        #expect(try MediaType.classify(pngBytes, declared: "application/pdf").kind == .image)
        #expect(try MediaType.classify([0, 0, 0, 0x18] + Self.bytes("ftypisom"), declared: "audio/mp4").kind == .audio)
        #expect(try MediaType.classify(Self.bytes("%PDF-1.7"), declared: nil).mimeType == "application/pdf")
    }

    @Test func sizesAreReadWithTheirUnits() {
        #expect(MediaLimits.byteSize("65536") == 65_536)
        #expect(MediaLimits.byteSize("64KiB") == 65_536)
        #expect(MediaLimits.byteSize("10MiB") == 10 << 20)
        #expect(MediaLimits.byteSize("1GiB") == 1 << 30)
        #expect(MediaLimits.byteSize("0") == nil && MediaLimits.byteSize("-5") == nil && MediaLimits.byteSize("ten") == nil)
        #expect(MediaLimits.byteSize("9999999999999TiB") == nil)
    }

    @Test func mediaIdsAreRandomAndRecognised() {
        let ids = Set((0..<1_000).map { _ in MediaLibrary.newMediaId() })
        #expect(ids.count == 1_000)
        #expect(ids.allSatisfy(MediaLibrary.isMediaId))
        #expect(!MediaLibrary.isMediaId("m_" + String(repeating: "0", count: 26)))
        #expect(!MediaLibrary.isMediaId("../../etc/passwd"))
    }
}

@Suite("Media processing budget")
struct ProcessingBudgetTests {
    @Test func whatWasSpentMustBeEarnedBack() throws {
        let budget = ProcessingBudget(rate: 0.5, burst: 10_000)
        try budget.admit(["user:a"], now: 0)
        budget.charge(["user:a", "address:x"], milliseconds: 14_000, now: 0)
        // 4 s in debt: 8 s of wall time earn it back, at half a millisecond per millisecond.
        #expect(throws: ChatError.self) { try budget.admit(["user:a"], now: 7_000) }
        #expect(throws: ChatError.self) { try budget.admit(["user:b", "address:x"], now: 7_000) }
        try budget.admit(["user:b"], now: 7_000)
        try budget.admit(["user:a"], now: 8_100)
    }
}
