import Foundation
import NIOCore
@testable import ParleyCore
import Synchronization

/// Blobs in memory, with a record of what was stored and deleted.
final class MemoryMediaStorage: MediaStorage {
    private let blobs = Mutex<[String: [UInt8]]>([:])
    private let counts = Mutex<(stored: Int, deleted: Int)>((0, 0))

    var name: String { "memory" }

    func store(file path: String, key: String, size: Int64, sha256: String, contentType: String) async throws {
        let bytes = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        blobs.withLock { $0[key] = bytes }
        counts.withLock { $0.stored += 1 }
    }

    func exists(key: String) async throws -> Bool { blobs.withLock { $0[key] != nil } }

    func read(key: String, range: Range<Int64>?) async throws -> MediaBytes {
        guard let bytes = blobs.withLock({ $0[key] }) else { throw ChatError.notFound("media not found") }
        let slice = range.map { Array(bytes[Int($0.lowerBound)..<Int($0.upperBound)]) } ?? bytes
        return MediaBytes(AsyncThrowingStream<ByteBuffer, any Error> { continuation in
            continuation.yield(ByteBuffer(bytes: slice))
            continuation.finish()
        })
    }

    func delete(key: String) async throws {
        blobs.withLock { _ = $0.removeValue(forKey: key) }
        counts.withLock { $0.deleted += 1 }
    }

    var keys: Set<String> { blobs.withLock { Set($0.keys) } }
    var stored: Int { counts.withLock { $0.stored } }
}

/// Takes every upload as it is (no tools): what is stored is what was sent.
struct PassThroughProcessor: MediaProcessor {
    var capabilities: MediaCapabilities { MediaCapabilities(images: true, video: true) }

    func process(_ path: String, as type: MediaType, in directory: String, limits: MediaLimits) async throws -> ProcessedMedia {
        ProcessedMedia(mimeType: type.mimeType, width: type.kind == .image ? 4 : nil, height: type.kind == .image ? 3 : nil)
    }
}

extension TestBed {
    /// A media library on the bed's store and clock, with blobs in memory.
    func mediaLibrary(limits: MediaLimits = MediaLimits(), storage: MemoryMediaStorage = MemoryMediaStorage()) -> MediaLibrary {
        MediaLibrary(
            store: store, storage: storage, processor: PassThroughProcessor(), limits: limits, clock: clock.wall,
            workDirectory: directory + "/incoming", logger: .init(label: "test"))
    }

    /// `bytes` as a received upload.
    func spooled(_ bytes: [UInt8]) throws -> SpooledUpload {
        let path = directory + "/" + UUID().uuidString
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        let (sha256, size) = try MediaLibrary.digest(of: path)
        return SpooledUpload(path: path, size: size, sha256: sha256, head: Array(bytes.prefix(MediaType.sniffLength)))
    }
}

/// The first bytes of a PNG, enough to be sniffed as one.
let pngBytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 120)
