import ParleyCore

/// The node's `MediaProcessor`: libvips for images, ffmpeg for video and audio, each used
/// when installed (`capabilities` says which; `/readyz` reports it).
public struct ToolProcessor: MediaProcessor {
    var images: LibvipsImages?
    let video: FFmpegMedia?

    /// Finds the tools on `PATH`.
    public init() {
        images = LibvipsImages()
        video = FFmpegMedia()
    }

    /// Finds the tools and prepares them to start fast, with what they need kept in `directory`.
    public static func prepared(in directory: String) async -> ToolProcessor {
        var processor = ToolProcessor()
        await processor.images?.loadOnlyHEIF(in: directory)
        return processor
    }

    /// Images when libvips' tools are there; video when ffprobe and ffmpeg are.
    public var capabilities: MediaCapabilities { MediaCapabilities(images: images != nil, video: video != nil) }

    /// Images through libvips; video and audio through ffmpeg when installed (kept as they are
    /// otherwise); files untouched.
    public func process(_ path: String, as type: MediaType, in directory: String, limits: MediaLimits) async throws -> ProcessedMedia {
        switch type.kind {
        case .image:
            guard let images else { throw ChatError(.unavailable, "this node cannot process images (libvips is not installed)") }
            return try await images.process(path, as: type, in: directory, limits: limits)
        case .video, .audio:
            // Without ffmpeg the upload is kept as it is, without a duration or poster.
            guard let video else { return ProcessedMedia(mimeType: type.mimeType) }
            return try await video.process(path, as: type, in: directory, limits: limits)
        case .file:
            return ProcessedMedia(mimeType: type.mimeType)
        }
    }
}
