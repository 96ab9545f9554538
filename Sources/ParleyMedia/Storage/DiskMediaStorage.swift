import Foundation
import ParleyCore

#if canImport(Glibc)
import Glibc
#endif

/// Media on this node's disk: each blob a file under `<root>/blobs/<key>`. Written to a
/// temporary name and renamed, so a reader never sees half a blob; hard-linked from the
/// received upload when it is on the same file system (no copy of a 100 MiB video).
public struct DiskMediaStorage: MediaStorage {
    public let root: String

    public init(root: String) throws {
        self.root = root
        try FileManager.default.createDirectory(atPath: root + "/blobs", withIntermediateDirectories: true)
    }

    public var name: String { "disk" }

    func path(of key: String) throws -> String {
        // Keys are made by `MediaLibrary` (`<2 hex>/<sha256>-<hex>`); anything else is refused
        // rather than joined into a path.
        guard key.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || $0 == 0x2F || $0 == 0x2D }),
            !key.hasPrefix("/"), !key.contains("//"), key.split(separator: "/").count == 2
        else { throw ChatError.badRequest("not a media key") }
        return "\(root)/blobs/\(key)"
    }

    public func store(file source: String, key: String, size: Int64, sha256: String, contentType: String) async throws {
        let target = try path(of: key)
        let directory = (target as NSString).deletingLastPathComponent
        try await NIOFileWork.run {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let temporary = "\(target).\(UInt32.random(in: .min ... .max)).tmp"
            if link(source, temporary) != 0 {
                do {
                    try FileManager.default.copyItem(atPath: source, toPath: temporary)
                } catch {
                    unlink(temporary)
                    throw error
                }
            }
            // On disk before the record that names it commits: a crash must not leave a
            // record without its bytes.
            let file = open(temporary, O_RDONLY | O_CLOEXEC)
            if file >= 0 {
                fsync(file)
                close(file)
            }
            guard rename(temporary, target) == 0 else {
                unlink(temporary)
                throw CocoaError(.fileWriteUnknown)
            }
            let folder = open(directory, O_RDONLY | O_CLOEXEC)
            if folder >= 0 {
                fsync(folder)
                close(folder)
            }
        }
    }

    public func exists(key: String) async throws -> Bool {
        FileManager.default.fileExists(atPath: try path(of: key))
    }

    public func read(key: String, range: Range<Int64>?) async throws -> MediaBytes {
        let path = try path(of: key)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let size = (attributes[.size] as? NSNumber)?.int64Value
        else { throw ChatError.notFound("media not found") }
        return MediaBytes(FileChunks(path: path, range: range ?? 0..<size))
    }

    public func delete(key: String) async throws {
        let path = try path(of: key)
        try await NIOFileWork.run {
            if unlink(path) != 0, errno != ENOENT { throw CocoaError(.fileWriteUnknown) }
        }
    }
}
