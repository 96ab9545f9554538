import Foundation
import ParleyCore
@testable import ParleyMedia
import Testing

@Suite("Images through libvips' tools")
struct ToolProcessorTests {
    /// Under CI the tools are installed (scripts/test); elsewhere a machine without them skips.
    static var toolsPresent: Bool { LibvipsImages() != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    @Test(.enabled(if: toolsPresent)) func aLargePictureGetsAThumbnailAndADisplayVersion() async throws {
        let directory = NSTemporaryDirectory() + "parley-tools-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let vips = try #require(LibvipsImages(), "libvips-tools must be installed")
        let source = directory + "/wide.png"
        let made = try await BoundedProcess.run(vips.vips, ["black", source, "2500", "1000"], timeout: 30)
        #expect(made.status == 0, "\(made.errors)")
        // Prepared as a node prepares it: libvips offered its HEIF module alone.
        let processor = await ToolProcessor.prepared(in: directory)
        if FileManager.default.fileExists(atPath: "/usr/lib/x86_64-linux-gnu/vips-modules-8.14/vips-heif.so") {
            #expect(processor.images?.environment["VIPSHOME"] != nil)
        }
        let result = try await processor.process(
            source, as: MediaType(mimeType: "image/png", kind: .image), in: directory, limits: MediaLimits())
        #expect(result.width == 2500 && result.height == 1000 && result.mimeType == "image/png")
        #expect(result.thumbnail?.width == 320 && result.thumbnail?.height == 128 && result.thumbnail?.mimeType == "image/webp")
        #expect(result.display?.width == 1920 && result.display?.height == 768)
    }

    @Test(.enabled(if: toolsPresent)) func aPictureOverThePixelLimitIsNotDecoded() async throws {
        let directory = NSTemporaryDirectory() + "parley-tools-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let vips = try #require(LibvipsImages(), "libvips-tools must be installed")
        let source = directory + "/big.png"
        let made = try await BoundedProcess.run(vips.vips, ["black", source, "3000", "3000"], timeout: 30)
        #expect(made.status == 0, "\(made.errors)")
        var limits = MediaLimits()
        limits.maxPixels = 1_000_000
        let error = await #expect(throws: ChatError.self) {
            try await ToolProcessor().process(source, as: MediaType(mimeType: "image/png", kind: .image), in: directory, limits: limits)
        }
        #expect(error?.code == .tooLarge)
        #expect(!FileManager.default.fileExists(atPath: directory + "/original.png"), "refused before anything decoded it")
    }

    @Test func aToolPastItsDeadlineIsKilled() async throws {
        let started = ContinuousClock.now
        let outcome = try await BoundedProcess.run("/bin/sleep", ["30"], timeout: 0.5)
        #expect(outcome.timedOut && outcome.status != 0)
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}
