import Foundation
import NIOCore
import ParleyCore
@testable import ParleyMedia
import Testing

@Suite("Resumable uploads on disk")
struct ResumableUploadsTests {
    @Test func bytesSurviveAndUnfinishedUploadsExpire() async throws {
        let directory = NSTemporaryDirectory() + "parley-tus-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let uploads = try ResumableUploads(directory: directory)
        let upload = try await uploads.create(
            ownerId: "1", length: 10, name: "a.bin", type: nil, now: 0, expiresAt: 1_000, maxUnfinished: 2, available: 100)
        #expect(await uploads.begin(upload.id))
        #expect(!(await uploads.begin(upload.id)), "one append at a time")
        let offset = try await uploads.append(AsyncStream { $0.yield(ByteBuffer(bytes: [1, 2, 3, 4])); $0.finish() }, to: upload, at: 0)
        #expect(offset == 4)
        await #expect(throws: ChatError.self) {
            try await uploads.append(AsyncStream { $0.yield(ByteBuffer(bytes: Array(repeating: 0, count: 7))); $0.finish() }, to: upload, at: 4)
        }
        await uploads.end(upload.id)
        // What a restart finds: the same upload, at the offset its file has.
        let reopened = try ResumableUploads(directory: directory)
        #expect(await reopened.upload(upload.id, ownerId: "1", now: 10)?.offset == 4)
        #expect(await reopened.upload(upload.id, ownerId: "2", now: 10) == nil, "someone else's is not there")
        #expect(await reopened.reserved(by: "1") == 10)
        await #expect(throws: ChatError.self) {
            try await reopened.create(ownerId: "1", length: 95, name: nil, type: nil, now: 10, expiresAt: 1_000, maxUnfinished: 2, available: 100)
        }
        #expect(await reopened.expire(now: 999) == 0)
        #expect(await reopened.expire(now: 1_000) == 1)
        #expect(await reopened.upload(upload.id, ownerId: "1", now: 10) == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }
}
