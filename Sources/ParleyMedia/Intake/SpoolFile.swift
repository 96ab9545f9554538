import Foundation
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// A file bytes are appended to as they arrive, in pieces of up to 1 MiB written on NIO's
/// blocking-I/O threads: memory per upload stays bounded whatever its size.
final class SpoolFile: Sendable {
    let path: String
    private let descriptor: Int32

    /// Opens `path` for appending; `create` makes a new file (failing if one is there).
    init(path: String, create: Bool) throws {
        self.path = path
        let flags = O_WRONLY | O_APPEND | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0)
        let descriptor = open(path, flags, 0o600)
        if descriptor < 0 { throw SpoolError.cannotOpen(path, errno) }
        self.descriptor = descriptor
    }

    /// Appends the bytes (all of them, or throws).
    func append(_ buffer: ByteBuffer) async throws {
        let descriptor = self.descriptor
        try await NIOFileWork.run {
            try buffer.withUnsafeReadableBytes { bytes in
                var written = 0
                while written < bytes.count {
                    let count = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                    if count < 0 {
                        if errno == EINTR { continue }
                        throw SpoolError.cannotWrite(errno)
                    }
                    written += count
                }
            }
        }
    }

    /// Flushes to disk and closes: what a resumable upload reports as received has been kept.
    func close(sync: Bool) async {
        let descriptor = self.descriptor
        _ = try? await NIOFileWork.run {
            if sync { fsync(descriptor) }
            Glibc.close(descriptor)
        }
    }
}

enum SpoolError: Error, CustomStringConvertible {
    case cannotOpen(String, Int32)
    case cannotWrite(Int32)

    var description: String {
        switch self {
        case .cannotOpen(let path, let code): "cannot open \(path) (errno \(code))"
        case .cannotWrite(let code): "cannot write an upload (errno \(code))"
        }
    }
}
