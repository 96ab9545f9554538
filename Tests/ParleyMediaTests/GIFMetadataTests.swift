@testable import ParleyMedia
import Testing

@Suite("GIF metadata")
struct GIFMetadataTests {
    /// A 1×1 GIF89a: a global colour table of two, a looping extension, a comment, an XMP-like
    /// application extension, one image, the trailer, and bytes after it.
    static func gif(trailing: [UInt8] = Array("<script>alert(1)</script>".utf8)) -> [UInt8] {
        var bytes = Array("GIF89a".utf8) + [1, 0, 1, 0, 0x80, 0, 0] + [0, 0, 0, 255, 255, 255]
        bytes += [0x21, 0xFF, 11] + Array("NETSCAPE2.0".utf8) + [3, 1, 0, 0, 0]
        bytes += [0x21, 0xFE, 18] + Array("GPS 51.5074N 0.12W".utf8) + [0]
        bytes += [0x21, 0xFF, 11] + Array("XMP DataXMP".utf8) + [4] + Array("<x/>".utf8) + [0]
        bytes += [0x21, 0xF9, 4, 0, 10, 0, 0, 0]
        bytes += [0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, 0x44, 0x01, 0]
        return bytes + [0x3B] + trailing
    }

    @Test func commentsApplicationDataAndTrailingBytesGo() throws {
        let stripped = try GIFMetadata.strip(Self.gif())
        let text = String(decoding: stripped, as: UTF8.self)
        #expect(!text.contains("GPS") && !text.contains("XMP") && !text.contains("script"))
        #expect(text.contains("NETSCAPE2.0"), "an animation keeps looping")
        #expect(stripped.last == 0x3B)
        #expect(try GIFMetadata.strip(stripped) == stripped)
    }

    @Test func aTruncatedOrForeignFileIsRefused() {
        let whole = Self.gif()
        #expect(throws: GIFMetadata.Malformed.self) { try GIFMetadata.strip(Array(whole.prefix(40))) }
        #expect(throws: GIFMetadata.Malformed.self) { try GIFMetadata.strip(Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0, 0x99]) }
        #expect(throws: GIFMetadata.Malformed.self) { try GIFMetadata.strip(Array("PNG".utf8)) }
    }

    @Test func ffprobeFactsCountEveryPictureInTheFile() throws {
        let json = """
            {"streams": [{"codec_type": "video", "width": 16, "height": 16}, {"codec_type": "video", "width": 12000, "height": 12000},
                         {"codec_type": "audio"}], "format": {"duration": "1.500000"}}
            """
        let facts = try #require(FFmpegMedia.facts(json))
        #expect(facts.width == 16 && facts.height == 16 && facts.durationMs == 1_500)
        #expect(facts.largestPixels == 144_000_000)
    }

    @Test func aPortraitPhoneVideoReportsItsTurnedSize() throws {
        let json = """
            {"streams": [{"codec_type": "video", "width": 1920, "height": 1080, "side_data_list": [{"rotation": -90}]}],
             "format": {"duration": "3.0"}}
            """
        let facts = try #require(FFmpegMedia.facts(json))
        #expect(facts.width == 1080 && facts.height == 1920)
        let tagged = try #require(FFmpegMedia.facts(#"{"streams": [{"codec_type": "video", "width": 640, "height": 480, "tags": {"rotate": "270"}}]}"#))
        #expect(tagged.width == 480 && tagged.height == 640)
    }
}
