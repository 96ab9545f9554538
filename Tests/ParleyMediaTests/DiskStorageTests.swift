import Foundation
import NIOCore
import ParleyCore
@testable import ParleyMedia
import Testing

@Suite("Media on disk: intake, blobs, ranges")
struct DiskStorageTests {
    let root = NSTemporaryDirectory() + "parley-media-\(UUID().uuidString)"

    @Test func anUploadIsReceivedHashedAndStoppedAtItsLimit() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let intake = try MediaIntake(directory: root + "/incoming")
        let chunks = (0..<40).map { ByteBuffer(bytes: Array(repeating: UInt8($0), count: 4_096)) }
        let upload = try await intake.receive(AsyncStream { continuation in
            for chunk in chunks { continuation.yield(chunk) }
            continuation.finish()
        }) { _ in 1 << 20 }
        #expect(upload.size == 40 * 4_096 && upload.head.count == MediaType.sniffLength)
        let (sha256, size) = try MediaLibrary.digest(of: upload.path)
        #expect(upload.sha256 == sha256 && size == upload.size)

        await #expect(throws: ChatError.self) {
            try await intake.receive(AsyncStream { continuation in
                for chunk in chunks { continuation.yield(chunk) }
                continuation.finish()
            }) { _ in 100_000 }
        }
        // What was refused leaves nothing behind; what was taken is the caller's to delete.
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/incoming") == [(upload.path as NSString).lastPathComponent])
    }

    @Test func blobsAreStoredReadInRangesAndDeleted() async throws {
        defer { try? FileManager.default.removeItem(atPath: root) }
        let storage = try DiskMediaStorage(root: root)
        let source = root + "/source"
        let bytes = (0..<300_000).map { UInt8($0 % 251) }
        FileManager.default.createFile(atPath: source, contents: Data(bytes))
        let key = "ab/" + String(repeating: "ab", count: 32) + "-1f"
        try await storage.store(file: source, key: key, size: Int64(bytes.count), sha256: "", contentType: "application/octet-stream")
        #expect(try await storage.exists(key: key))
        var read: [UInt8] = []
        for try await chunk in try await storage.read(key: key, range: 1_000..<290_000) { read += chunk.readableBytesView }
        #expect(read == Array(bytes[1_000..<290_000]))
        try await storage.delete(key: key)
        try await storage.delete(key: key)
        #expect(try await !storage.exists(key: key))
        await #expect(throws: ChatError.self) { try await storage.exists(key: "../../etc/passwd") }
    }
}
