/// What uploads and downloads did (exported as `parley_media_*`).
public final class MediaMetrics: Sendable {
    /// Uploads stored, by kind.
    public let uploads = LabelledCounter(capacity: 8)
    /// Bytes received in uploads stored, and bytes sent in downloads.
    public let bytesIn = Counter()
    public let bytesOut = Counter()
    /// From the upload's last byte to its answer: sniffing, processing, storing.
    public let processing = DurationHistogram()

    public init() {}
}
