import Crypto
import Foundation
import Logging
import ParleyProtocol
import ParleyStore

/// Uploads and downloads (product H1): what an upload becomes, who may read it, and when it
/// goes. Storage and processing are passed in, so tests swap them.
public struct MediaLibrary: Sendable {
    public let store: any Store
    public let storage: any MediaStorage
    public let processor: any MediaProcessor
    public let limits: MediaLimits
    public let clock: WallClock
    public let metrics: MediaMetrics
    /// Where derived files are written while an upload is processed (on this node's disk).
    public let workDirectory: String
    let slots: ProcessingSlots
    let budget: ProcessingBudget
    let logger: Logger

    public init(
        store: any Store, storage: any MediaStorage, processor: any MediaProcessor, limits: MediaLimits = MediaLimits(),
        clock: WallClock = .system, metrics: MediaMetrics = MediaMetrics(), workDirectory: String, logger: Logger
    ) {
        self.store = store
        self.storage = storage
        self.processor = processor
        self.limits = limits
        self.clock = clock
        self.metrics = metrics
        self.workDirectory = workDirectory
        self.slots = ProcessingSlots(count: limits.concurrentProcessing)
        self.budget = ProcessingBudget(rate: limits.processingMsPerSecond / 1000, burst: limits.processingBurstMs)
        self.logger = logger
    }

    // MARK: Upload

    /// Checks, before any byte is received, that an upload of `length` bytes could be taken
    /// (a resumable upload announces its length; a plain one may say it in `Content-Length`).
    /// `reserved` is what the user's unfinished resumable uploads on this node announced.
    public func admit(length: Int64, reserved: Int64 = 0, by caller: Caller) async throws {
        if length > limits.largestUpload {
            throw ChatError(.tooLarge, "an upload is at most \(limits.largestUpload) bytes")
        }
        try await requireQuota(for: length + reserved, by: caller.userId)
    }

    /// Takes a received upload: sniffs its type, checks the limits, processes it, stores it
    /// (once for identical bytes) and returns what was stored. The spooled file is left to the caller.
    /// `address` is the client's, for the processing budget (nil: the user's budget alone).
    public func accept(
        _ upload: SpooledUpload, declaredType: String?, name: String?, by caller: Caller, from address: String? = nil
    ) async throws -> MediaInfo {
        let started = monotonicNanoseconds()
        if upload.size == 0 { throw ChatError.badRequest("the upload is empty") }
        let name = try Self.fileName(name)
        let type = try MediaType.classify(upload.head, declared: declaredType)
        let limit = limits.maxBytes[type.kind] ?? limits.largestUpload
        if upload.size > limit {
            throw ChatError(.tooLarge, "\(type.kind.rawValue) uploads are at most \(limit) bytes; this one is \(upload.size)")
        }
        if type.kind == .image, !processor.capabilities.images {
            throw ChatError(.unavailable, "this node cannot process images (libvips is not installed)")
        }
        try await requireQuota(for: upload.size, by: caller.userId)

        let id = Self.newMediaId()
        let now = clock.now()
        var record = try await reused(upload, kind: type.kind)
        if record == nil {
            record = try await processed(upload, type: type, id: id, budgetKeys: ["user:" + caller.userId] + (address.map { ["address:" + $0] } ?? []))
        }
        guard var media = record else { throw ChatError.internalFailure }
        media.id = id
        media.ownerId = caller.userId
        media.name = name
        media.uploadedSize = upload.size
        media.createdAt = now
        guard try await store.saveMedia(media, quota: limits.quota) else { throw Self.overQuota(limits.quota) }
        metrics.uploads.add(media.kind)
        metrics.bytesIn.add(Int(upload.size))
        metrics.processing.observe(nanoseconds: monotonicNanoseconds() - started)
        return Self.info(media)
    }

    /// The stored processing of the same bytes uploaded before, if its blobs are all still
    /// live: nothing is processed or stored again.
    private func reused(_ upload: SpooledUpload, kind: MediaKind) async throws -> MediaRecord? {
        guard let earlier = try await store.media(sourceSha256: upload.sha256), earlier.kind == kind.rawValue else { return nil }
        for blob in [earlier.original, earlier.thumbnail, earlier.display].compactMap({ $0 }) {
            let key = try await store.claimMediaBlob(
                sha256: blob.sha256, proposedKey: Self.blobKey(blob.sha256), size: blob.size, at: clock.now())
            guard key == blob.key, try await storage.exists(key: key) else { return nil }
        }
        return earlier
    }

    /// Processes an upload and stores its blobs.
    private func processed(_ upload: SpooledUpload, type: MediaType, id: String, budgetKeys: [String]) async throws -> MediaRecord {
        let directory = workDirectory + "/" + id
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result: ProcessedMedia
        if type.kind == .file {
            result = ProcessedMedia(mimeType: type.mimeType)
        } else {
            try budget.admit(budgetKeys, now: clock.now())
            let processor = self.processor
            let limits = self.limits
            let budget = self.budget
            let clock = self.clock
            result = try await slots.run {
                let started = monotonicNanoseconds()
                defer { budget.charge(budgetKeys, milliseconds: Double(monotonicNanoseconds() - started) / 1e6, now: clock.now()) }
                return try await processor.process(upload.path, as: type, in: directory, limits: limits)
            }
        }
        let original: MediaBlobRef
        if let file = result.original {
            original = try await stored(file)
        } else {
            original = try await stored(
                path: upload.path, sha256: upload.sha256, size: upload.size, mimeType: result.mimeType, width: result.width,
                height: result.height)
        }
        let thumbnail = try await result.thumbnail.asyncMap { try await stored($0) }
        let display = try await result.display.asyncMap { try await stored($0) }
        return MediaRecord(
            id: id, ownerId: "", kind: type.kind.rawValue, mimeType: result.mimeType, name: nil, original: original,
            sourceSha256: upload.sha256, uploadedSize: upload.size, width: result.width ?? original.width,
            height: result.height ?? original.height, durationMs: result.durationMs, thumbnail: thumbnail, display: display,
            createdAt: 0)
    }

    private func stored(_ file: DerivedFile) async throws -> MediaBlobRef {
        let (sha256, size) = try Self.digest(of: file.path)
        return try await stored(path: file.path, sha256: sha256, size: size, mimeType: file.mimeType, width: file.width, height: file.height)
    }

    /// Stores a file's bytes once: under the live blob of the same bytes when there is one.
    private func stored(path: String, sha256: String, size: Int64, mimeType: String, width: Int?, height: Int?) async throws -> MediaBlobRef {
        let proposed = Self.blobKey(sha256)
        let key = try await store.claimMediaBlob(sha256: sha256, proposedKey: proposed, size: size, at: clock.now())
        let present = key == proposed ? false : try await storage.exists(key: key)
        if !present {
            try await storage.store(file: path, key: key, size: size, sha256: sha256, contentType: mimeType)
        }
        return MediaBlobRef(key: key, sha256: sha256, size: size, mimeType: mimeType, width: width, height: height)
    }

    private func requireQuota(for size: Int64, by userId: String) async throws {
        if size > (try await available(to: userId)) { throw Self.overQuota(limits.quota) }
    }

    /// The bytes a user's quota has left.
    public func available(to userId: String) async throws -> Int64 {
        limits.quota - (try await store.mediaUsage(ownerId: userId))
    }

    static func overQuota(_ quota: Int64) -> ChatError {
        ChatError(.tooLarge, "this upload would take your media over its quota of \(quota) bytes")
    }

    // MARK: Download

    /// Which stored image of an upload a download asks for.
    public enum Variant: String, Sendable {
        case original, thumbnail, display
    }

    /// The media and the blob of `variant`, if `caller` may read it: they uploaded it, or they
    /// are a member of a conversation holding a message that references it. Anyone else gets
    /// `not_found`, as for an id that does not exist.
    public func open(_ mediaId: String, variant: Variant, for caller: Caller) async throws -> (MediaRecord, MediaBlobRef) {
        let missing = ChatError.notFound("media not found")
        guard Self.isMediaId(mediaId), let media = try await store.media(id: mediaId) else { throw missing }
        if media.ownerId != caller.userId {
            let member = try await store.canReadMedia(id: mediaId, userId: caller.userId)
            if !member { throw missing }
        }
        let blob: MediaBlobRef?
        switch variant {
        case .original: blob = media.original
        case .thumbnail: blob = media.thumbnail
        case .display: blob = media.display
        }
        guard let blob else { throw ChatError.notFound("this media has no \(variant.rawValue)") }
        return (media, blob)
    }

    /// The bytes of a blob (a range of them); counted as sent.
    public func read(_ blob: MediaBlobRef, range: Range<Int64>?) async throws -> MediaBytes {
        metrics.bytesOut.add(Int(range.map { $0.upperBound - $0.lowerBound } ?? blob.size))
        return try await storage.read(key: blob.key, range: range)
    }

    /// What the user's uploads hold against their quota.
    public func usage(of userId: String) async throws -> MediaUsage {
        MediaUsage(usedBytes: try await store.mediaUsage(ownerId: userId), quotaBytes: limits.quota)
    }

    /// An operator's takedown: the media goes for everyone at once (downloads answer `404`,
    /// messages keep their content but lose the file), its bytes with the collector's next pass.
    public func takeDown(_ mediaId: String) async throws {
        guard Self.isMediaId(mediaId), try await store.removeMedia(id: mediaId) else { throw ChatError.notFound("media not found") }
        logger.notice("media taken down", metadata: ["mediaId": "\(mediaId)"])
    }

    // MARK: Collection

    /// One pass of the collector: uploads no message references past their grace go, then the
    /// bytes no upload uses. Returns how many uploads and blobs went.
    @discardableResult
    public func collect(limit: Int = 500) async throws -> (media: Int, blobs: Int) {
        let now = clock.now()
        // A blob claimed by an upload still being processed is touched, and left for an hour.
        let collection = try await store.collectMedia(
            unreferencedBefore: now - limits.unreferencedGraceMs, untouchedBefore: now - 3_600_000, at: now, limit: limit)
        var deleted: [String] = []
        for key in collection.doomedKeys {
            do {
                try await storage.delete(key: key)
                deleted.append(key)
            } catch {
                logger.warning("could not delete a media blob; the next pass tries again", metadata: ["key": "\(key)", "error": "\(error)"])
            }
        }
        try await store.forgetMediaBlobs(keys: deleted)
        return (collection.removedMedia, deleted.count)
    }

    // MARK: Names

    /// What `GET /v1/media/{id}` and the upload answer say of a record.
    public static func info(_ media: MediaRecord) -> MediaInfo {
        let url = "/v1/media/\(media.id)"
        func variant(_ blob: MediaBlobRef?, _ path: String) -> MediaVariantInfo? {
            guard let blob, let width = blob.width, let height = blob.height else { return nil }
            return MediaVariantInfo(url: url + "/" + path, width: width, height: height, mimeType: blob.mimeType)
        }
        return MediaInfo(
            mediaId: media.id, url: url, mimeType: media.mimeType, size: media.original.size, sha256: media.original.sha256,
            kind: media.kind, name: media.name, width: media.width, height: media.height, durationMs: media.durationMs,
            thumbnail: variant(media.thumbnail, "thumbnail"), display: variant(media.display, "display"), createdAt: media.createdAt)
    }

    /// A new media id: 128 random bits, so ids cannot be guessed or counted.
    static func newMediaId() -> String {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var id = "m_"
        var bits = (generator.next() as UInt64, generator.next() as UInt64)
        for index in 0..<26 {
            let value: UInt64
            if index < 13 { value = bits.0 & 31; bits.0 >>= 5 } else { value = bits.1 & 31; bits.1 >>= 5 }
            id.append(alphabet[Int(value)])
        }
        return id
    }

    /// Whether `id` has the shape of a media id (checked before it reaches the store).
    public static func isMediaId(_ id: String) -> Bool {
        id.utf8.count == 28 && id.hasPrefix("m_") && id.utf8.dropFirst(2).allSatisfy { (0x61...0x7A).contains($0) || (0x32...0x37).contains($0) }
    }

    /// A new storage key for bytes: under their hash, with a random suffix so that bytes stored
    /// again after their blob was doomed never share a key with the doomed one.
    static func blobKey(_ sha256: String) -> String {
        let suffix = String(UInt32.random(in: .min ... .max), radix: 16)
        return "\(sha256.prefix(2))/\(sha256)-\(suffix)"
    }

    /// The upload's file name: its last path component, of at most 255 characters, free of
    /// control, invisible and text-direction characters; nil when none was given.
    public static func fileName(_ name: String?) throws -> String? {
        guard let name, !name.isEmpty else { return nil }
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        if last.isEmpty || last == "." || last == ".." { throw ChatError.badRequest("'name' must be a file name") }
        if last.unicodeScalars.count > 255 { throw ChatError.badRequest("'name' is longer than 255 characters") }
        if last.unicodeScalars.contains(where: UserText.isDisruptive) {
            throw ChatError.badRequest("'name' must not contain control, invisible or text-direction characters")
        }
        return last
    }

    /// SHA-256 (hex) and size of a file, read in 1 MiB pieces.
    public static func digest(of path: String) throws -> (String, Int64) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ChatError.internalFailure }
        defer { try? handle.close() }
        var hash = SHA256()
        var size: Int64 = 0
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            hash.update(data: chunk)
            size += Int64(chunk.count)
        }
        return (hash.finalize().hexadecimal, size)
    }
}
