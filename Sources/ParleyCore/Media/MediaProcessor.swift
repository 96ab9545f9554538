/// Turns an upload into what Parley stores: images upright and stripped of metadata, with a
/// thumbnail (and a display version when large); video and audio probed for duration and
/// dimensions, with a poster frame. Implemented over libvips and ffmpeg (ParleyMedia).
public protocol MediaProcessor: Sendable {
    /// What this node can process; an upload it cannot still works where that is safe.
    var capabilities: MediaCapabilities { get }
    /// Processes the upload at `path` (of type `type`), writing derived files into `directory`.
    /// Throws `unsupported_media_type` for bytes that do not decode, `too_large` past the pixel limit.
    func process(_ path: String, as type: MediaType, in directory: String, limits: MediaLimits) async throws -> ProcessedMedia
}

/// Which tools this node has.
public struct MediaCapabilities: Sendable, Equatable {
    /// libvips: images can be taken (without it, they are refused: their metadata could not be stripped).
    public var images: Bool
    /// ffprobe and ffmpeg: video and audio get durations and poster frames.
    public var video: Bool

    public init(images: Bool, video: Bool) {
        self.images = images
        self.video = video
    }
}

/// What processing made of an upload.
public struct ProcessedMedia: Sendable, Equatable {
    /// The file to store as the original (re-encoded upright and stripped); nil: the upload as it is.
    public var original: DerivedFile?
    /// The stored original's type (a HEIC photo is stored as JPEG).
    public var mimeType: String
    public var width: Int?
    public var height: Int?
    public var durationMs: Int64?
    public var thumbnail: DerivedFile?
    public var display: DerivedFile?

    public init(
        original: DerivedFile? = nil, mimeType: String, width: Int? = nil, height: Int? = nil, durationMs: Int64? = nil,
        thumbnail: DerivedFile? = nil, display: DerivedFile? = nil
    ) {
        self.original = original
        self.mimeType = mimeType
        self.width = width
        self.height = height
        self.durationMs = durationMs
        self.thumbnail = thumbnail
        self.display = display
    }
}

/// A file processing wrote.
public struct DerivedFile: Sendable, Equatable {
    public var path: String
    public var mimeType: String
    public var width: Int?
    public var height: Int?

    public init(path: String, mimeType: String, width: Int? = nil, height: Int? = nil) {
        self.path = path
        self.mimeType = mimeType
        self.width = width
        self.height = height
    }
}

/// An upload's bytes, received into a file: what the HTTP layer hands the media library.
public struct SpooledUpload: Sendable, Equatable {
    public var path: String
    public var size: Int64
    /// SHA-256 of the bytes, hex.
    public var sha256: String
    /// The first bytes, for sniffing.
    public var head: [UInt8]

    public init(path: String, size: Int64, sha256: String, head: [UInt8]) {
        self.path = path
        self.size = size
        self.sha256 = sha256
        self.head = head
    }
}
