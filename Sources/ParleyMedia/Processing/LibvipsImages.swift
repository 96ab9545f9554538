import Foundation
import ParleyCore

/// Images through libvips' command-line tools (`vipsheader`, `vips`, `vipsthumbnail`; Debian
/// `libvips-tools`): the header is read first and a picture over the pixel limit is refused
/// before anything decodes it; then the original is turned upright and stripped of every
/// metadata block (EXIF with its GPS position, XMP, IPTC), a 320 px thumbnail is made, and a
/// 1920 px display version when the picture is larger.
struct LibvipsImages: Sendable {
    let vips: String
    let vipsheader: String
    let vipsthumbnail: String

    init?() {
        guard let vips = BoundedProcess.locate("vips"), let header = BoundedProcess.locate("vipsheader"),
            let thumbnail = BoundedProcess.locate("vipsthumbnail")
        else { return nil }
        self.vips = vips
        self.vipsheader = header
        self.vipsthumbnail = thumbnail
    }

    /// Loaders of formats nobody sends as photos (and that have had the most bugs) are off;
    /// one thread per run, as runs are already bounded per node.
    static let environment = ["VIPS_BLOCK_UNTRUSTED": "1", "VIPS_CONCURRENCY": "1", "VIPS_WARNING": "0"]

    func process(_ path: String, as type: MediaType, in directory: String, limits: MediaLimits) async throws -> ProcessedMedia {
        let header = try await self.header(path, limits: limits)
        guard header.width > 0, header.height > 0 else { throw Self.undecodable(type) }
        let pixels = Int64(header.width) * Int64(header.height) * Int64(max(1, header.pages))
        if Int64(header.width) * Int64(header.height) > limits.maxPixels || pixels > limits.maxPixels * 4 {
            throw ChatError(.tooLarge, "the image is \(header.width)×\(header.height) pixels; at most \(limits.maxPixels) are decoded")
        }

        var original: DerivedFile?
        var source = path
        var mimeType = type.mimeType
        if type.mimeType == "image/gif" {
            // Rewritten without its comments and application data, not re-encoded: animations stay.
            let output = "\(directory)/original.gif"
            guard let bytes = FileManager.default.contents(atPath: path),
                let stripped = try? GIFMetadata.strip([UInt8](bytes)),
                FileManager.default.createFile(atPath: output, contents: Data(stripped))
            else { throw Self.undecodable(type) }
            original = DerivedFile(path: output, mimeType: "image/gif", width: header.width, height: header.height)
            source = output
        } else {
            let (ext, options, storedType) = Self.originalFormat(for: type.mimeType)
            let output = "\(directory)/original.\(ext)"
            try await run(vips, ["autorot", path, "\(output)[\(options)]"], limits: limits, type: type)
            let size = try await self.header(output, limits: limits)
            original = DerivedFile(path: output, mimeType: storedType, width: size.width, height: size.height)
            source = output
            mimeType = storedType
        }
        let width = original?.width ?? header.width
        let height = original?.height ?? header.height

        let thumbnail = try await shrunk(source, to: 320, named: "thumbnail.webp[Q=80,strip]", mimeType: "image/webp", in: directory, limits: limits, type: type)
        var display: DerivedFile?
        if max(width, height) > 1920 {
            let photo = mimeType == "image/jpeg"
            display = try await shrunk(
                source, to: 1920, named: photo ? "display.jpg[Q=85,strip]" : "display.webp[Q=85,strip]",
                mimeType: photo ? "image/jpeg" : "image/webp", in: directory, limits: limits, type: type)
        }
        return ProcessedMedia(original: original, mimeType: mimeType, width: width, height: height, thumbnail: thumbnail, display: display)
    }

    /// How the upright original is saved: its own format, at quality 95 when lossy; HEIC
    /// (which browsers do not show) as JPEG.
    static func originalFormat(for mimeType: String) -> (ext: String, options: String, mimeType: String) {
        switch mimeType {
        case "image/png": ("png", "strip", "image/png")
        case "image/webp": ("webp", "Q=95,strip", "image/webp")
        default: ("jpg", "Q=95,strip", "image/jpeg")
        }
    }

    private func shrunk(
        _ source: String, to side: Int, named output: String, mimeType: String, in directory: String, limits: MediaLimits, type: MediaType
    ) async throws -> DerivedFile {
        let target = "\(directory)/\(output)"
        // `>`: only ever shrink; a small picture keeps its size.
        try await run(vipsthumbnail, [source, "--size", "\(side)x\(side)>", "-o", target], limits: limits, type: type)
        let path = String(target.prefix { $0 != "[" })
        let size = try await header(path, limits: limits)
        return DerivedFile(path: path, mimeType: mimeType, width: size.width, height: size.height)
    }

    struct Header {
        var width = 0
        var height = 0
        var pages = 1
    }

    /// The picture's size as its header says, without decoding it.
    private func header(_ path: String, limits: MediaLimits) async throws -> Header {
        let outcome = try await BoundedProcess.run(
            vipsheader, ["-a", path], timeout: limits.processingTimeoutSeconds, environment: Self.environment)
        guard outcome.status == 0 else {
            throw ChatError(.unsupportedMediaType, "the image could not be decoded")
        }
        var header = Header()
        for line in outcome.output.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else { continue }
            switch parts[0] {
            case "width": header.width = Int(parts[1]) ?? 0
            case "height": header.height = Int(parts[1]) ?? 0
            case "n-pages": header.pages = Int(parts[1]) ?? 1
            default: break
            }
        }
        return header
    }

    private func run(_ tool: String, _ arguments: [String], limits: MediaLimits, type: MediaType) async throws {
        let outcome = try await BoundedProcess.run(tool, arguments, timeout: limits.processingTimeoutSeconds, environment: Self.environment)
        if outcome.timedOut {
            throw ChatError(.unsupportedMediaType, "the image took longer than \(Int(limits.processingTimeoutSeconds)) s to process")
        }
        guard outcome.status == 0 else { throw Self.undecodable(type) }
    }

    static func undecodable(_ type: MediaType) -> ChatError {
        ChatError(.unsupportedMediaType, "the \(type.mimeType) image could not be decoded")
    }
}
