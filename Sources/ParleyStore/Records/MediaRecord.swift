import Foundation

/// An upload: who owns it, what it is, and the stored blobs that hold it and its derived images.
public struct MediaRecord: Sendable, Equatable, Codable {
    public var id: String
    public var ownerId: String
    /// `image`, `video`, `audio` or `file`.
    public var kind: String
    /// The sniffed type of the stored original.
    public var mimeType: String
    public var name: String?
    /// The stored original (for images: rotated upright, metadata stripped).
    public var original: MediaBlobRef
    /// SHA-256 of the bytes as uploaded: a second upload of the same bytes reuses this one's
    /// processing and blobs.
    public var sourceSha256: String
    /// Bytes as uploaded: what counts against the owner's quota.
    public var uploadedSize: Int64
    public var width: Int?
    public var height: Int?
    public var durationMs: Int64?
    public var thumbnail: MediaBlobRef?
    public var display: MediaBlobRef?
    public var createdAt: Int64

    public init(
        id: String, ownerId: String, kind: String, mimeType: String, name: String?, original: MediaBlobRef,
        sourceSha256: String, uploadedSize: Int64, width: Int? = nil, height: Int? = nil, durationMs: Int64? = nil,
        thumbnail: MediaBlobRef? = nil, display: MediaBlobRef? = nil, createdAt: Int64
    ) {
        self.id = id
        self.ownerId = ownerId
        self.kind = kind
        self.mimeType = mimeType
        self.name = name
        self.original = original
        self.sourceSha256 = sourceSha256
        self.uploadedSize = uploadedSize
        self.width = width
        self.height = height
        self.durationMs = durationMs
        self.thumbnail = thumbnail
        self.display = display
        self.createdAt = createdAt
    }

    /// Every blob the record holds on to.
    public var blobKeys: [String] { [original.key] + [thumbnail?.key, display?.key].compactMap { $0 } }
}

/// One stored blob as a record uses it: where it is and what it holds.
public struct MediaBlobRef: Sendable, Equatable, Codable {
    /// The storage key (`<2 hex>/<sha256>-<suffix>`).
    public var key: String
    public var sha256: String
    public var size: Int64
    public var mimeType: String
    public var width: Int?
    public var height: Int?

    public init(key: String, sha256: String, size: Int64, mimeType: String, width: Int? = nil, height: Int? = nil) {
        self.key = key
        self.sha256 = sha256
        self.size = size
        self.mimeType = mimeType
        self.width = width
        self.height = height
    }
}

/// A message that references media: members of its conversation may read the media.
public struct MediaReference: Sendable, Equatable {
    public var mediaId: String
    public var conversationId: String
    public var messageId: String

    public init(mediaId: String, conversationId: String, messageId: String) {
        self.mediaId = mediaId
        self.conversationId = conversationId
        self.messageId = messageId
    }
}

/// What one pass of the media collector found.
public struct MediaCollection: Sendable, Equatable {
    /// Uploads removed (unreferenced past their grace).
    public var removedMedia: Int
    /// Blobs whose bytes are to be deleted.
    public var doomedKeys: [String]

    public init(removedMedia: Int, doomedKeys: [String]) {
        self.removedMedia = removedMedia
        self.doomedKeys = doomedKeys
    }
}

/// How both engines store a `MediaRecord`: as JSON text, beside the columns queries need.
public enum MediaDetails {
    public static func encode(_ media: MediaRecord) throws -> String {
        String(decoding: try JSONEncoder().encode(media), as: UTF8.self)
    }

    /// The record back; nil when the text is unreadable.
    public static func decode(_ text: String) -> MediaRecord? {
        try? JSONDecoder().decode(MediaRecord.self, from: Data(text.utf8))
    }
}
