import Foundation
import NIOCore
import ParleyCore

/// Unfinished resumable (tus) uploads, kept on this node's disk under `<media-dir>/uploads/`:
/// `<id>.part` holds the bytes received so far (its length is the offset, so what survived a
/// crash is what a client resumes from), `<id>.json` who owns it and what it is. One append
/// at a time per upload; the rest wait their turn or are told it is busy.
public actor ResumableUploads {
    /// What an upload is, as its sidecar keeps it.
    public struct Upload: Codable, Sendable, Equatable {
        public var id: String
        public var ownerId: String
        public var length: Int64
        public var name: String?
        public var type: String?
        public var createdAt: Int64
        public var expiresAt: Int64
        /// Set when the last byte arrived and the media was stored.
        public var mediaId: String?
    }

    public let directory: String
    private var busy: Set<String> = []
    /// Per owner: their unfinished uploads and the lengths announced.
    private var unfinished: [String: [String: Int64]] = [:]

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        for upload in Self.sidecars(in: directory) where upload.mediaId == nil {
            unfinished[upload.ownerId, default: [:]][upload.id] = upload.length
        }
    }

    /// Starts an upload. `maxUnfinished` bounds how many unfinished uploads one user holds, and
    /// `available` (what their quota has left) the bytes those may announce together: the disk
    /// a user can fill with bytes that never become media is what they could store anyway.
    public func create(
        ownerId: String, length: Int64, name: String?, type: String?, now: Int64, expiresAt: Int64, maxUnfinished: Int, available: Int64
    ) throws -> Upload {
        let held = unfinished[ownerId, default: [:]]
        if held.count >= maxUnfinished {
            throw ChatError(.conflict, "you have \(maxUnfinished) unfinished uploads; finish or delete one first")
        }
        let announced = held.values.reduce(0, +)
        if announced + length > available {
            throw ChatError(
                .tooLarge, "your unfinished uploads (\(announced) bytes) and this one would take your media over its quota")
        }
        let upload = Upload(id: Self.newId(), ownerId: ownerId, length: length, name: name, type: type, createdAt: now, expiresAt: expiresAt)
        FileManager.default.createFile(atPath: partPath(upload.id), contents: nil, attributes: [.posixPermissions: 0o600])
        try save(upload)
        unfinished[ownerId, default: [:]][upload.id] = length
        return upload
    }

    /// The caller's upload and its offset; nil when there is none of theirs (or it expired).
    public func upload(_ id: String, ownerId: String, now: Int64) -> (Upload, offset: Int64)? {
        guard Self.isUploadId(id), let upload = load(id), upload.ownerId == ownerId, upload.expiresAt > now else { return nil }
        return (upload, upload.mediaId == nil ? offset(of: id) : upload.length)
    }

    /// What the user's unfinished uploads on this node announced, in bytes.
    public func reserved(by ownerId: String) -> Int64 {
        unfinished[ownerId, default: [:]].values.reduce(0, +)
    }

    /// Takes the upload for one append; false when another append holds it.
    public func begin(_ id: String) -> Bool {
        busy.insert(id).inserted
    }

    /// Gives the upload back after an append (or a takedown of it) is done with it.
    public func end(_ id: String) {
        busy.remove(id)
    }

    /// Appends a request's bytes to the upload (held with `begin`) from `offset`, its current
    /// length; returns the new offset. Bytes past the announced length are refused; bytes that
    /// arrived before the request failed (a dropped connection) are kept and on disk.
    public nonisolated func append<Body: AsyncSequence>(_ body: Body, to upload: Upload, at offset: Int64) async throws -> Int64
    where Body.Element == ByteBuffer {
        let file = try SpoolFile(path: partPath(upload.id), create: false)
        var received = offset
        do {
            for try await chunk in body {
                if received + Int64(chunk.readableBytes) > upload.length {
                    throw ChatError(.tooLarge, "the bytes go past the announced Upload-Length of \(upload.length)")
                }
                try await file.append(chunk)
                received += Int64(chunk.readableBytes)
            }
        } catch {
            await file.close(sync: true)
            throw error
        }
        await file.close(sync: true)
        return received
    }

    /// The file an append writes to.
    public nonisolated func partPath(_ id: String) -> String { "\(directory)/\(id).part" }

    /// Records that the upload became `mediaId`; its bytes go.
    public func finish(_ id: String, mediaId: String) throws {
        guard var upload = load(id) else { return }
        upload.mediaId = mediaId
        try save(upload)
        try? FileManager.default.removeItem(atPath: partPath(id))
        unfinished[upload.ownerId]?[id] = nil
    }

    /// Drops an upload (a DELETE, or one whose bytes were refused).
    public func remove(_ id: String) {
        if let upload = load(id) { unfinished[upload.ownerId]?[id] = nil }
        try? FileManager.default.removeItem(atPath: partPath(id))
        try? FileManager.default.removeItem(atPath: sidecarPath(id))
    }

    /// Drops uploads past their expiry, except one being appended to; how many went.
    @discardableResult
    public func expire(now: Int64) -> Int {
        var removed = 0
        for upload in Self.sidecars(in: directory) where upload.expiresAt <= now && !busy.contains(upload.id) {
            remove(upload.id)
            removed += 1
        }
        return removed
    }

    private func offset(of id: String) -> Int64 {
        let attributes = try? FileManager.default.attributesOfItem(atPath: partPath(id))
        return (attributes?[.size] as? NSNumber)?.int64Value ?? 0
    }

    private nonisolated func sidecarPath(_ id: String) -> String { "\(directory)/\(id).json" }

    private func load(_ id: String) -> Upload? {
        guard let data = FileManager.default.contents(atPath: sidecarPath(id)) else { return nil }
        return try? JSONDecoder().decode(Upload.self, from: data)
    }

    private func save(_ upload: Upload) throws {
        try JSONEncoder().encode(upload).write(to: URL(fileURLWithPath: sidecarPath(upload.id)), options: .atomic)
    }

    private static func sidecars(in directory: String) -> [Upload] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { name in
            FileManager.default.contents(atPath: "\(directory)/\(name)").flatMap { try? JSONDecoder().decode(Upload.self, from: $0) }
        }
    }

    /// 128 random bits in hex: an upload's address cannot be guessed.
    static func newId() -> String {
        var generator = SystemRandomNumberGenerator()
        return [generator.next() as UInt64, generator.next() as UInt64].map { String(format: "%016llx", $0) }.joined()
    }

    static func isUploadId(_ id: String) -> Bool {
        id.utf8.count == 32 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }
}
