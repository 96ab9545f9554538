import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// A range of a file's bytes as a sequence of chunks, each read when asked for on NIO's
/// blocking-I/O threads. Each read opens and closes the file, so an abandoned sequence holds
/// no descriptor; a reader that stops asking stops the reading.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public let path: String
    public let range: Range<Int64>
    public let chunkSize: Int

    public init(path: String, range: Range<Int64>, chunkSize: Int = 256 << 10) {
        self.path = path
        self.range = range
        self.chunkSize = chunkSize
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let path: String
        var offset: Int64
        let end: Int64
        let chunkSize: Int

        public mutating func next() async throws -> ByteBuffer? {
            if offset >= end { return nil }
            let count = Int(Swift.min(Int64(chunkSize), end - offset))
            let (path, from) = (self.path, offset)
            let chunk = try await NIOThreadPool.singleton.runIfActive { try Self.read(path, from: from, count: count) }
            if chunk.readableBytes == 0 { throw FileChunksError.truncated(path) }
            offset += Int64(chunk.readableBytes)
            return chunk
        }

        static func read(_ path: String, from offset: Int64, count: Int) throws -> ByteBuffer {
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            if descriptor < 0 { throw FileChunksError.unreadable(path, errno) }
            defer { close(descriptor) }
            var buffer = ByteBufferAllocator().buffer(capacity: count)
            // A failed read leaves the buffer empty, which `next` reports.
            _ = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count) { pointer in
                Swift.max(0, pread(descriptor, pointer.baseAddress, count, off_t(offset)))
            }
            return buffer
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(path: path, offset: range.lowerBound, end: range.upperBound, chunkSize: chunkSize)
    }
}

enum FileChunksError: Error, CustomStringConvertible {
    case unreadable(String, Int32)
    case truncated(String)

    var description: String {
        switch self {
        case .unreadable(let path, let code): "cannot read \(path) (errno \(code))"
        case .truncated(let path): "\(path) ended early"
        }
    }
}
