import Foundation
import ParleyProtocol

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Uploading and downloading media (docs/protocol.md, "Media"). An upload returns a
/// `MediaInfo`; send it with `send(media:to:)` or `send(media:in:)`, which is also when the
/// recipients gain access to it. Media no message references is deleted a day after its upload.
///
/// ```swift
/// let photo = try await client.upload(fileURL) { sent, total in print(sent, "of", total) }
/// try await client.send(media: photo, to: bobId)
/// let bytes = try await client.download(photo.mediaId)
/// ```
///
/// Failures the server explains arrive as `ParleyClientError.server` (`too_large` over a
/// limit or the quota, `unsupported_media_type` when the bytes are not the declared type);
/// network and file errors as URLSession and FileManager throw them.
extension ParleyClient {
    private nonisolated var media: MediaTransport { MediaTransport(baseURL: configuration.serverURL) }

    // MARK: Upload

    /// Uploads a file in one request, streamed from disk (`POST /v1/media`).
    ///
    /// - Parameters:
    ///   - name: the file name kept with the media (a `file` message shows it); the file's own
    ///     by default.
    ///   - mimeType: the declared type. The server sniffs the bytes anyway and `kind` follows
    ///     what it finds; a declared `image/…`, `video/…` or `audio/…` the bytes do not bear
    ///     out is refused. Without one, `application/octet-stream`: the sniffed type decides.
    ///   - progress: called with (bytes sent, total) as the body goes out, increasing, ending
    ///     at the total; on a URLSession queue, not the caller's.
    /// - Note: one request cannot resume; for large files on unreliable links use
    ///   `uploadResumably`.
    public func upload(
        _ file: URL, name: String? = nil, mimeType: String? = nil, progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> MediaInfo {
        let size = try Self.size(of: file)
        return try await upload(.file(file, size: size), name: name ?? file.lastPathComponent, mimeType: mimeType, progress: progress)
    }

    /// Uploads bytes held in memory (`POST /v1/media`); the parameters are `upload(_:name:…)`'s
    /// for files, and without a `name` the media has none.
    public func upload(
        _ data: Data, name: String? = nil, mimeType: String? = nil, progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> MediaInfo {
        try await upload(.data(data), name: name, mimeType: mimeType, progress: progress)
    }

    /// Uploads a file with the tus resumable protocol (`/v1/media/uploads`), a chunk per
    /// request: a dropped connection costs at most the chunk in flight. After a failure the
    /// server is asked how much it holds and the upload goes on from there, waiting between
    /// attempts as `configuration.reconnect` says; `maxRetries` failures in a row with no
    /// progress end it, with the last failure. Refusals (too large, wrong type) end it at once.
    ///
    /// - Parameters:
    ///   - chunkSize: bytes per PATCH (4 MiB by default); the most held in memory at once.
    ///   - progress: (bytes sent, total): increasing, ending at the total. A chunk resent
    ///     after a failure does not move it back.
    /// - Note: cancelling the calling task stops the upload and drops it on the server.
    public func uploadResumably(
        _ file: URL, name: String? = nil, mimeType: String? = nil, chunkSize: Int = 4 << 20, maxRetries: Int = 5,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> MediaInfo {
        let size = try Self.size(of: file)
        let driver = ResumableUploadDriver(transport: media, token: { try await self.accessToken() })
        return try await driver.upload(
            file: file, size: size, name: name ?? file.lastPathComponent, mimeType: mimeType, chunkSize: Int64(max(1, chunkSize)),
            maxRetries: maxRetries, backoff: configuration.reconnect, progress: progress.map { UploadProgress(total: size, $0) })
    }

    /// Where `send(file:…)` switches from one request to a resumable upload: 8 MiB. Below it a
    /// failed upload is cheap to start over and not worth tus's extra round trips; above it,
    /// losing the bytes sent so far starts to hurt on a mobile link.
    public static let resumableUploadThreshold: Int64 = 8 << 20

    /// Uploads a file resumably when it is larger than `resumableAbove` bytes (e.g.
    /// `resumableUploadThreshold`), in one request otherwise.
    public func upload(
        _ file: URL, name: String? = nil, mimeType: String? = nil, resumableAbove threshold: Int64,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> MediaInfo {
        if try Self.size(of: file) > threshold {
            return try await uploadResumably(file, name: name, mimeType: mimeType, progress: progress)
        }
        return try await upload(file, name: name, mimeType: mimeType, progress: progress)
    }

    private func upload(
        _ body: MediaTransport.Body, name: String?, mimeType: String?, progress: (@Sendable (Int64, Int64) -> Void)?
    ) async throws -> MediaInfo {
        var url = media.url("/v1/media")
        if let name, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.queryItems = [URLQueryItem(name: "name", value: name)]
            // URLComponents leaves `+` as is, and form decoding reads it as a space.
            components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
            url = components.url ?? url
        }
        let reporter = progress.map { UploadProgress(total: body.count, $0) }
        do {
            let (data, _) = try await media.expectSuccess(
                "POST", url, token: try await accessToken(), headers: ["Content-Type": mimeType ?? "application/octet-stream"],
                body: body, progress: reporter?.delegate())
            let info = try JSONDecoder().decode(MediaInfo.self, from: data)
            // URLSession's last progress call may still be queued: make sure the app sees the end.
            reporter?.report(body.count)
            return info
        } catch {
            throw ParleyClientError.surfaced(error)
        }
    }

    // MARK: Download

    /// The full URL of an upload's bytes on this node (its `url` is a path).
    ///
    /// Fetching it needs `Authorization: Bearer <accessToken>`; `download` does that.
    public nonisolated func mediaURL(_ info: MediaInfo) -> URL {
        mediaURL(path: info.url)
    }

    /// The full URL of a media path as the server gives them: a `MediaInfo`'s `url`, its
    /// `thumbnail`/`display` `url`, a message's `url` or `thumbnailUrl`. Absolute URLs (media
    /// hosted elsewhere) are returned as they are.
    public nonisolated func mediaURL(path: String) -> URL {
        media.url(path)
    }

    /// The bytes of an upload (`GET /v1/media/{mediaId}`). Readable by the uploader and by the
    /// members of conversations where it was sent; anyone else gets `not_found`.
    public func download(_ mediaId: String) async throws -> Data {
        try await download(path: "/v1/media/\(mediaId)")
    }

    /// The bytes behind a media path (see `mediaURL(path:)`), e.g. `info.thumbnail?.url`.
    public func download(path: String) async throws -> Data {
        do {
            // The timeout bounds the whole transfer on Linux: allow a large video on a slow link.
            let (data, _) = try await media.expectSuccess("GET", mediaURL(path: path), token: try await accessToken(), timeout: 600)
            return data
        } catch {
            throw ParleyClientError.surfaced(error)
        }
    }

    // MARK: Requests

    /// A file's size, read before the upload: the progress total, and tus's `Upload-Length`.
    private static func size(of file: URL) throws -> Int64 {
        let attributes = try FileManager.default.attributesOfItem(atPath: file.path)
        guard let size = (attributes[.size] as? NSNumber)?.int64Value else {
            throw CocoaError(.fileReadUnknown, userInfo: [NSFilePathErrorKey: file.path])
        }
        return size
    }
}
