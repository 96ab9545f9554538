import Foundation

/// Bounds on what users upload; all configurable (docs/operations.md).
public struct MediaLimits: Sendable, Equatable {
    /// Largest upload of each kind, in bytes as uploaded.
    public var maxBytes: [MediaKind: Int64] = [.image: 10 << 20, .video: 100 << 20, .audio: 20 << 20, .file: 100 << 20]
    /// Most bytes one user's uploads may hold together.
    public var quota: Int64 = 1 << 30
    /// Largest image, in pixels, decoded at all: a 50 KB PNG can claim 100 000 × 100 000.
    public var maxPixels: Int64 = 50_000_000
    /// How long an unfinished resumable upload is kept, in seconds.
    public var uploadExpirySeconds: Int64 = 86_400
    /// Most unfinished resumable uploads one user holds at once.
    public var maxUnfinishedUploads: Int = 20
    /// How long after upload media no message references is deleted, in ms.
    public var unreferencedGraceMs: Int64 = 86_400_000
    /// How long one run of an image or video tool may take, in seconds.
    public var processingTimeoutSeconds: Double = 30
    /// Uploads processed at once on this node (images and video are CPU-bound).
    public var concurrentProcessing: Int = 2
    /// Processing time per user and per client address: ms earned per second, and the most saved
    /// up (a user sharing 50 photos at once spends the burst; an abuser waits).
    public var processingMsPerSecond: Double = 500
    public var processingBurstMs: Double = 120_000

    public init() {}

    /// The largest upload of any kind: what a resumable upload may announce.
    public var largestUpload: Int64 { maxBytes.values.max() ?? 0 }

    /// A byte size as configured: `65536`, `64KiB`, `10MiB`, `1GiB` (also `KB`/`MB`/`GB`, `K`/`M`/`G`,
    /// all powers of 1024); nil when unreadable or not positive.
    public static func byteSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let digits = trimmed.prefix { $0.isNumber }
        guard let number = Int64(digits), number > 0 else { return nil }
        let unit = trimmed.dropFirst(digits.count).trimmingCharacters(in: .whitespaces).lowercased()
        let shift: Int64
        switch unit {
        case "", "b": shift = 0
        case "k", "kb", "kib": shift = 10
        case "m", "mb", "mib": shift = 20
        case "g", "gb", "gib": shift = 30
        case "t", "tb", "tib": shift = 40
        default: return nil
        }
        let (value, overflow) = number.multipliedReportingOverflow(by: Int64(1) << shift)
        return overflow ? nil : value
    }
}
