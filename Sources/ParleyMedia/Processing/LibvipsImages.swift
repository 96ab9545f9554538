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
    /// Loaders of formats nobody sends as photos (and that have had the most bugs) are off;
    /// one thread per run, as runs are already bounded per node.
    private(set) var environment = ["VIPS_BLOCK_UNTRUSTED": "1", "VIPS_CONCURRENCY": "1", "VIPS_WARNING": "0"]

    init?() {
        guard let vips = BoundedProcess.locate("vips"), let header = BoundedProcess.locate("vipsheader"),
            let thumbnail = BoundedProcess.locate("vipsthumbnail")
        else { return nil }
        self.vips = vips
        self.vipsheader = header
        self.vipsthumbnail = thumbnail
    }

    /// Each tool run starts libvips, which loads every module it has (ImageMagick, poppler,
    /// OpenSlide, JPEG XL: over a hundred shared libraries, 70 ms of CPU). A private `VIPSHOME`
    /// under `directory` offers it only the HEIF module, halving every start (docs/benchmarks.md
    /// §9); kept only when libvips still reads HEIF through it.
    mutating func loadOnlyHEIF(in directory: String) async {
        let system = "/usr/lib"
        let fileManager = FileManager.default
        guard let triples = try? fileManager.contentsOfDirectory(atPath: system) else { return }
        for triple in triples where triple.contains("-linux-") {
            guard let modules = (try? fileManager.contentsOfDirectory(atPath: "\(system)/\(triple)"))?
                .first(where: { $0.hasPrefix("vips-modules-") }),
                fileManager.fileExists(atPath: "\(system)/\(triple)/\(modules)/vips-heif.so")
            else { continue }
            let home = directory + "/vips"
            let folder = "\(home)/\(triple)/\(modules)"
            try? fileManager.removeItem(atPath: home)
            guard (try? fileManager.createDirectory(atPath: folder, withIntermediateDirectories: true)) != nil,
                (try? fileManager.createSymbolicLink(atPath: folder + "/vips-heif.so", withDestinationPath: "\(system)/\(triple)/\(modules)/vips-heif.so")) != nil
            else { return }
            var trial = environment
            trial["VIPSHOME"] = home
            guard let listed = try? await BoundedProcess.run(vips, ["-l", "foreign"], timeout: 10, environment: trial),
                listed.status == 0, listed.output.contains("heifload")
            else { return }
            environment = trial
            return
        }
    }

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
            // In memory whole: a GIF is at most the image limit (`--media-max-image`, 10 MiB).
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
            // Orientations 5 to 8 turn the picture a quarter: width and height trade places.
            let turned = (5...8).contains(header.orientation)
            original = DerivedFile(
                path: output, mimeType: storedType, width: turned ? header.height : header.width,
                height: turned ? header.width : header.height)
            source = output
            mimeType = storedType
        }
        let width = original?.width ?? header.width
        let height = original?.height ?? header.height

        // Each tool run costs a process start (tens of ms): the derived images are made, then
        // measured together by one `vipsheader`.
        var derived = [try await shrunk(source, to: 320, named: "thumbnail.webp[Q=80,strip]", mimeType: "image/webp", limits: limits, type: type, in: directory)]
        if max(width, height) > 1920 {
            let photo = mimeType == "image/jpeg"
            derived.append(try await shrunk(
                source, to: 1920, named: photo ? "display.jpg[Q=85,strip]" : "display.webp[Q=85,strip]",
                mimeType: photo ? "image/jpeg" : "image/webp", limits: limits, type: type, in: directory))
        }
        let sizes = try await self.sizes(of: derived.map(\.path), limits: limits)
        for index in derived.indices {
            derived[index].width = sizes[index].width
            derived[index].height = sizes[index].height
        }
        return ProcessedMedia(
            original: original, mimeType: mimeType, width: width, height: height, thumbnail: derived.first,
            display: derived.count > 1 ? derived[1] : nil)
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
        _ source: String, to side: Int, named output: String, mimeType: String, limits: MediaLimits, type: MediaType, in directory: String
    ) async throws -> DerivedFile {
        let target = "\(directory)/\(output)"
        // `>`: only ever shrink; a small picture keeps its size.
        try await run(vipsthumbnail, [source, "--size", "\(side)x\(side)>", "-o", target], limits: limits, type: type)
        return DerivedFile(path: String(target.prefix { $0 != "[" }), mimeType: mimeType)
    }

    /// Width and height of files this node wrote, one line each from `vipsheader`
    /// (`<path>: <w>x<h> uchar, …`).
    private func sizes(of paths: [String], limits: MediaLimits) async throws -> [(width: Int, height: Int)] {
        let outcome = try await BoundedProcess.run(vipsheader, paths, timeout: limits.processingTimeoutSeconds, environment: environment)
        let lines = outcome.output.split(separator: "\n")
        guard outcome.status == 0, lines.count == paths.count else { throw ChatError.internalFailure }
        return try zip(paths, lines).map { path, line in
            let rest = line.dropFirst(path.count + 2)
            let dimensions = rest.prefix { $0 != " " }.split(separator: "x")
            guard line.hasPrefix(path + ": "), dimensions.count == 2, let width = Int(dimensions[0]), let height = Int(dimensions[1]) else {
                throw ChatError.internalFailure
            }
            return (width, height)
        }
    }

    struct Header {
        var width = 0
        var height = 0
        var pages = 1
        /// EXIF orientation, 1 (upright) when there is none.
        var orientation = 1
    }

    /// The picture's size as its header says, without decoding it.
    private func header(_ path: String, limits: MediaLimits) async throws -> Header {
        let outcome = try await BoundedProcess.run(
            vipsheader, ["-a", path], timeout: limits.processingTimeoutSeconds, environment: environment)
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
            case "orientation": header.orientation = Int(parts[1]) ?? 1
            default: break
            }
        }
        return header
    }

    private func run(_ tool: String, _ arguments: [String], limits: MediaLimits, type: MediaType) async throws {
        let outcome = try await BoundedProcess.run(tool, arguments, timeout: limits.processingTimeoutSeconds, environment: environment)
        if outcome.timedOut {
            // Under load a good photo can be slow too: a wait, not a refusal of the bytes.
            throw ChatError(
                .unavailable, "the image took longer than \(Int(limits.processingTimeoutSeconds)) s to process; retry later",
                retryAfterMs: 10_000)
        }
        guard outcome.status == 0 else { throw Self.undecodable(type) }
    }

    static func undecodable(_ type: MediaType) -> ChatError {
        ChatError(.unsupportedMediaType, "the \(type.mimeType) image could not be decoded")
    }
}
