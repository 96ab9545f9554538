import Crypto
import Foundation
import NIOCore
import ParleyCore

/// Receives an upload's body into a file under `<media-dir>/incoming/`, hashing it as it
/// comes and stopping at the limit of its kind, which the first bytes tell.
public struct MediaIntake: Sendable {
    public let directory: String

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    /// Receives `body`; `limit` gives the most bytes allowed once the first bytes are known
    /// (it may throw to refuse them). The caller deletes the file when done with it.
    public func receive<Body: AsyncSequence>(
        _ body: Body, limit: @Sendable ([UInt8]) throws -> Int64
    ) async throws -> SpooledUpload where Body.Element == ByteBuffer {
        let path = "\(directory)/\(UUID().uuidString.lowercased()).upload"
        let file = try SpoolFile(path: path, create: true)
        var hash = SHA256()
        var head: [UInt8] = []
        var size: Int64 = 0
        var allowed: Int64?
        var pending = ByteBufferAllocator().buffer(capacity: 0)
        do {
            for try await chunk in body {
                size += Int64(chunk.readableBytes)
                chunk.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
                if head.count < MediaType.sniffLength {
                    head += chunk.readableBytesView.prefix(MediaType.sniffLength - head.count)
                }
                if allowed == nil, head.count >= MediaType.sniffLength { allowed = try limit(head) }
                if let allowed, size > allowed {
                    throw ChatError(.tooLarge, "the upload is over its limit of \(allowed) bytes")
                }
                var chunk = chunk
                pending.writeBuffer(&chunk)
                if pending.readableBytes >= 1 << 20 {
                    try await file.append(pending)
                    pending.clear()
                }
            }
            if allowed == nil { allowed = try limit(head) }
            if let allowed, size > allowed { throw ChatError(.tooLarge, "the upload is over its limit of \(allowed) bytes") }
            if pending.readableBytes > 0 { try await file.append(pending) }
            await file.close(sync: false)
        } catch {
            await file.close(sync: false)
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        let digest = hash.finalize().hexadecimal
        return SpooledUpload(path: path, size: size, sha256: digest, head: head)
    }

    /// A file received piece by piece (a resumable upload) as an upload: hashed, its first
    /// bytes kept, read in 1 MiB pieces on the blocking-I/O threads.
    public static func inspect(_ path: String) async throws -> SpooledUpload {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        var hash = SHA256()
        var head: [UInt8] = []
        for try await chunk in FileChunks(path: path, range: 0..<size, chunkSize: 1 << 20) {
            chunk.withUnsafeReadableBytes { hash.update(bufferPointer: $0) }
            if head.count < MediaType.sniffLength { head += chunk.readableBytesView.prefix(MediaType.sniffLength - head.count) }
        }
        let digest = hash.finalize().hexadecimal
        return SpooledUpload(path: path, size: size, sha256: digest, head: head)
    }
}
