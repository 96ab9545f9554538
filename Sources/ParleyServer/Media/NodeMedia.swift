import AsyncHTTPClient
import Foundation
import Logging
import NIOPosix
import ParleyCore
import ParleyMedia
import ParleyStore

/// A node's media: the library (on disk or S3), where uploads are received, and the
/// resumable uploads it holds.
struct NodeMedia: Sendable {
    let library: MediaLibrary
    let intake: MediaIntake
    let uploads: ResumableUploads
    /// Uploads in flight on this node (one-request and resumable appends alike).
    let slots = UploadSlots()

    /// Sets up the directories (and the bucket) configured.
    static func open(
        _ configuration: MediaConfiguration, dataDirectory: String, store: any Store, metrics: MediaMetrics, client: HTTPClient?,
        clustered: Bool, logger: Logger
    ) async throws -> NodeMedia {
        let root = configuration.directory ?? dataDirectory + "/media"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let storage: any MediaStorage
        if let s3 = try s3Configuration(configuration), let client {
            let bucket = try S3MediaStorage(s3, client: client)
            try await bucket.prepare()
            storage = bucket
        } else {
            storage = try DiskMediaStorage(root: root)
            if clustered {
                logger.warning("a cluster node keeps media on its own disk: other nodes cannot serve it (set --s3-endpoint and the rest)")
            }
        }
        let processor = await ToolProcessor.prepared(in: root)
        let tools = processor.capabilities
        if !tools.images { logger.warning("libvips' tools (vips, vipsheader, vipsthumbnail) are not installed: image uploads are refused") }
        if !tools.video { logger.warning("ffprobe/ffmpeg are not installed: video and audio are stored without durations or posters") }
        let incoming = root + "/incoming"
        // What a crash left half-received is of no use to anyone.
        try? FileManager.default.removeItem(atPath: incoming)
        let library = MediaLibrary(
            store: store, storage: storage, processor: processor, limits: configuration.limits, metrics: metrics,
            workDirectory: incoming, logger: logger)
        return NodeMedia(library: library, intake: try MediaIntake(directory: incoming), uploads: try ResumableUploads(directory: root + "/uploads"))
    }

    /// The bucket, when every S3 setting is given; some but not all of them is a mistake.
    static func s3Configuration(_ configuration: MediaConfiguration) throws -> S3MediaStorage.Configuration? {
        let given = [configuration.s3Endpoint, configuration.s3Bucket, configuration.s3AccessKey, configuration.s3SecretKey]
        if given.allSatisfy({ $0 == nil }) { return nil }
        guard let endpoint = configuration.s3Endpoint, let bucket = configuration.s3Bucket, let access = configuration.s3AccessKey,
            let secret = configuration.s3SecretKey
        else {
            throw MediaConfigurationError("S3 needs --s3-endpoint, --s3-bucket, --s3-access-key and --s3-secret-key together")
        }
        return S3MediaStorage.Configuration(endpoint: endpoint, bucket: bucket, region: configuration.s3Region, accessKey: access, secretKey: secret)
    }

    /// An HTTP client for the bucket, when one is configured.
    static func makeClient(_ configuration: MediaConfiguration) throws -> HTTPClient? {
        guard try s3Configuration(configuration) != nil else { return nil }
        var settings = HTTPClient.Configuration(redirectConfiguration: .disallow)
        settings.timeout = .init(connect: .seconds(10), read: .seconds(60))
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: settings)
    }
}

struct MediaConfigurationError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
