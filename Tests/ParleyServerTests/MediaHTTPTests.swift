@testable import ParleyServer
import Testing

@Suite("Media over HTTP: ranges, validators, tus metadata")
struct MediaHTTPTests {
    @Test func rangesAreReadAsRFC9110Says() {
        #expect(ByteRange.parse("bytes=0-9", size: 100) == .part(0..<10))
        #expect(ByteRange.parse("bytes=90-200", size: 100) == .part(90..<100))
        #expect(ByteRange.parse("bytes=50-", size: 100) == .part(50..<100))
        #expect(ByteRange.parse("bytes=-30", size: 100) == .part(70..<100))
        #expect(ByteRange.parse("bytes=-300", size: 100) == .part(0..<100))
        #expect(ByteRange.parse("bytes=100-", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=-0", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse("bytes=0-1,5-6", size: 100) == .multiple)
        #expect(ByteRange.parse("bytes=9-3", size: 100) == .whole)
        #expect(ByteRange.parse("items=0-9", size: 100) == .whole)
        #expect(ByteRange.parse("bytes=99999999999999999999999-", size: 100) == .unsatisfiable)
        #expect(ByteRange.parse(nil, size: 100) == .whole)
    }

    @Test func entityTagsMatchQuotedWeakOrAny() {
        let etag = "\"abc\""
        #expect(EntityTag.matches("\"abc\"", etag: etag))
        #expect(EntityTag.matches("abc", etag: etag))
        #expect(EntityTag.matches("W/\"abc\"", etag: etag))
        #expect(EntityTag.matches("\"x\", \"abc\"", etag: etag))
        #expect(EntityTag.matches("*", etag: etag))
        #expect(!EntityTag.matches("\"abd\"", etag: etag))
        #expect(!EntityTag.matches(nil, etag: etag))
    }

    @Test func tusMetadataIsBase64Pairs() throws {
        let pairs = try TusMetadata.parse("filename d29ybGRfZG9taW5hdGlvbl9wbGFuLnBkZg==,filetype YXBwbGljYXRpb24vcGRm,is_confidential")
        #expect(pairs == ["filename": "world_domination_plan.pdf", "filetype": "application/pdf", "is_confidential": ""])
        #expect(throws: Error.self) { try TusMetadata.parse("filename ***") }
        #expect(try TusMetadata.parse(nil).isEmpty)
    }

    @Test func namesTravelSafely() {
        #expect(MediaRoutes.formValue("name", in: "name=%E6%8A%A5%E5%91%8A+2026.pdf") == "报告 2026.pdf")
        #expect(MediaRoutes.formValue("name", in: "x=1&name=a%2Bb.txt") == "a+b.txt")
        #expect(MediaRoutes.attachment("报告 \"x\".pdf") == "attachment; filename=\"__ _x_.pdf\"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20%22x%22.pdf")
    }
}
