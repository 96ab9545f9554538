/// What the server stored for an upload: the answer of `POST /v1/media`, and of `GET` on a
/// finished resumable upload (docs/protocol.md, "Media").
public struct MediaInfo: Codable, Sendable, Equatable {
    public var mediaId: String
    /// A path on the server: `/v1/media/<mediaId>`.
    public var url: String
    /// The type sniffed from the bytes (what `GET url` serves for images, video and audio).
    public var mimeType: String
    /// Bytes of what `GET url` returns.
    public var size: Int64
    /// SHA-256 of what `GET url` returns, in hex; also its `ETag`.
    public var sha256: String
    /// `image`, `video`, `audio` or `file`: follows the sniffed type, not the declared one.
    public var kind: String
    /// The file name given at upload (`?name=`, or tus `filename`).
    public var name: String?
    /// Pixels of the stored (upright) image or of the video.
    public var width: Int?
    public var height: Int?
    /// Length of video and audio, when the node could read it.
    public var durationMs: Int64?
    /// A small preview (longest side 320 px): images, and a video's poster frame.
    public var thumbnail: MediaVariantInfo?
    /// For images over 1920 px on their longest side: a version at 1920 px, quality 85.
    public var display: MediaVariantInfo?
    /// When it was uploaded, ms since 1970.
    public var createdAt: Int64

    public init(
        mediaId: String, url: String, mimeType: String, size: Int64, sha256: String, kind: String, name: String? = nil,
        width: Int? = nil, height: Int? = nil, durationMs: Int64? = nil, thumbnail: MediaVariantInfo? = nil,
        display: MediaVariantInfo? = nil, createdAt: Int64
    ) {
        self.mediaId = mediaId
        self.url = url
        self.mimeType = mimeType
        self.size = size
        self.sha256 = sha256
        self.kind = kind
        self.name = name
        self.width = width
        self.height = height
        self.durationMs = durationMs
        self.thumbnail = thumbnail
        self.display = display
        self.createdAt = createdAt
    }
}

/// A derived image of an upload (its thumbnail or display version).
public struct MediaVariantInfo: Codable, Sendable, Equatable {
    public var url: String
    public var width: Int
    public var height: Int
    public var mimeType: String

    public init(url: String, width: Int, height: Int, mimeType: String) {
        self.url = url
        self.width = width
        self.height = height
        self.mimeType = mimeType
    }
}

/// `GET /v1/media/usage`: what a user's uploads hold against their quota.
public struct MediaUsage: Codable, Sendable, Equatable {
    /// Bytes (as uploaded) of the user's media.
    public var usedBytes: Int64
    public var quotaBytes: Int64

    public init(usedBytes: Int64, quotaBytes: Int64) {
        self.usedBytes = usedBytes
        self.quotaBytes = quotaBytes
    }
}
