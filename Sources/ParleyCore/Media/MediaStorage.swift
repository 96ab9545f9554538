import NIOCore

/// Where media bytes live: a directory on this node, or an S3-compatible bucket every node of
/// a cluster shares. Keys are content-addressed (`<2 hex>/<sha256>-<suffix>`), so storing a
/// key again stores the same bytes.
public protocol MediaStorage: Sendable {
    /// `disk` or `s3`, for logs and `/readyz`.
    var name: String { get }
    /// Stores the file at `path` under `key`, streaming it (memory stays bounded whatever its size).
    func store(file path: String, key: String, size: Int64, sha256: String, contentType: String) async throws
    func exists(key: String) async throws -> Bool
    /// The bytes of `range` of a blob (all of it when nil), streamed as they are read.
    func read(key: String, range: Range<Int64>?) async throws -> MediaBytes
    /// Deletes a blob; one that is not there is no error.
    func delete(key: String) async throws
}

/// A blob's bytes, pulled chunk by chunk by whoever sends them on (so a slow reader slows
/// the read, and memory stays bounded).
public struct MediaBytes: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    private let chunks: any AsyncSequence<ByteBuffer, any Error> & Sendable

    /// Bytes from any sequence of chunks (a file reader, an HTTP response body).
    public init(_ chunks: some AsyncSequence<ByteBuffer, any Error> & Sendable) {
        self.chunks = chunks
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: any AsyncIteratorProtocol<ByteBuffer, any Error>

        public mutating func next() async throws -> ByteBuffer? { try await base.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: chunks.makeAsyncIterator()) }
}
