import Crypto
import Foundation
import NIOCore
import ParleyCore

/// One version of the browser client: its page and its assets, pinned to a content hash.
///
/// The page (`index.html`) is served at `/` and revalidated on every load; each asset `X` at
/// `/assets/<version>/X`, cached for a year, since a changed file changes the version. The page
/// names its assets as `/assets/X`; those paths are pinned to the version when the bundle is made,
/// and the modules import each other by relative paths, which then resolve under the same version.
struct WebClient: Sendable {
    struct Asset: Sendable {
        var bytes: ByteBuffer
        /// The same bytes gzipped, when that saves at least a tenth (not for a folder's files).
        var gzipped: ByteBuffer?
        var contentType: String

        init(_ bytes: [UInt8], contentType: String, compressed: Bool) {
            self.bytes = ByteBuffer(bytes: bytes)
            self.contentType = contentType
            gzipped = compressed ? Gzip.compress(bytes).flatMap { $0.count * 10 <= bytes.count * 9 ? ByteBuffer(bytes: $0) : nil } : nil
        }
    }

    /// The first 16 hex digits of the SHA-256 of every path and file.
    let version: String
    /// `index.html` with its asset paths pinned to `version`.
    let page: Asset
    let assets: [String: Asset]

    /// - Parameters:
    ///   - files: file contents by path relative to the client's folder; must hold `index.html`.
    ///   - compressed: whether to keep a gzipped copy of each file.
    init(files: [String: [UInt8]], compressed: Bool = true) throws {
        guard let page = files["index.html"] else { throw WebClientError.noPage }
        var hash = SHA256()
        for path in files.keys.sorted() {
            let bytes = files[path]!
            // Lengths first, so that no two different sets of files hash alike.
            hash.update(data: Array("\(path.utf8.count):\(path)\(bytes.count):".utf8))
            hash.update(data: bytes)
        }
        version = String(hash.finalize().hexadecimal.prefix(16))
        let html = String(decoding: page, as: UTF8.self)
            .replacingOccurrences(of: "\"/assets/", with: "\"/assets/\(version)/")
        self.page = Asset(Array(html.utf8), contentType: "text/html; charset=utf-8", compressed: compressed)
        assets = files.reduce(into: [:]) { assets, file in
            guard file.key != "index.html" else { return }
            assets[file.key] = Asset(file.value, contentType: Self.contentType(of: file.key), compressed: compressed)
        }
    }

    /// The client's files read from a folder (for work on the client): every regular file
    /// below it, by relative path; hidden files are left out.
    static func read(directory: URL) throws -> WebClient {
        let root = directory.standardizedFileURL.resolvingSymlinksInPath()
        guard let walk = FileManager.default.enumerator(
            at: root, includingPropertiesForKeys: [.isRegularFileKey], options: [.skipsHiddenFiles])
        else { throw WebClientError.unreadable(root.path) }
        var files: [String: [UInt8]] = [:]
        for case let url as URL in walk {
            guard try url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile == true else { continue }
            let path = url.standardizedFileURL.resolvingSymlinksInPath().path
            guard path.hasPrefix(root.path + "/") else { continue }
            files[String(path.dropFirst(root.path.count + 1))] = Array(try Data(contentsOf: url))
        }
        // Read again on every request: compressing would only slow the edit-reload loop.
        return try WebClient(files: files, compressed: false)
    }

    /// The media type of an asset, by its extension; the browser is told not to sniff.
    static func contentType(of path: String) -> String {
        switch path.split(separator: ".").last.map({ $0.lowercased() }) {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "json": "application/json"
        case "webmanifest": "application/manifest+json"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "woff2": "font/woff2"
        case "txt": "text/plain; charset=utf-8"
        default: "application/octet-stream"
        }
    }
}

enum WebClientError: Error, CustomStringConvertible {
    case noPage
    case unreadable(String)

    var description: String {
        switch self {
        case .noPage: "the web client has no index.html"
        case .unreadable(let path): "the web client folder \(path) cannot be read"
        }
    }
}
