import Foundation
import ParleyProtocol

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Performs a `ResumableUpload`'s actions over HTTP: tus 1.0 against `/v1/media/uploads`.
///
/// All decisions (next chunk, when to HEAD, when to stop) are the machine's; this loop only
/// makes the requests, reads the file a chunk at a time (memory stays at one chunk whatever
/// the file's size), and sorts failures into the ones worth a retry and the refusals that end
/// the upload at once.
struct ResumableUploadDriver: Sendable {
    let transport: MediaTransport
    /// A current access token for each request: a large upload can outlast one.
    let token: @Sendable () async throws -> String

    static let tusVersion = "1.0.0"

    /// Uploads `size` bytes of `file` and returns what the server made of them.
    func upload(
        file: URL, size: Int64, name: String, mimeType: String?, chunkSize: Int64, maxRetries: Int, backoff: Backoff,
        progress: UploadProgress?
    ) async throws -> MediaInfo {
        var machine = ResumableUpload(length: size, chunkSize: chunkSize, maxRetries: maxRetries, backoff: backoff)
        let reader = try FileHandle(forReadingFrom: file)
        defer { try? reader.close() }
        var action = machine.start()
        var lastFailure: (any Error)?
        do {
            while true {
                if machine.wait > .zero { try await Task.sleep(for: machine.wait) }
                let event: ResumableUpload.Event
                switch action {
                case .giveUp:
                    if let lastFailure { throw lastFailure }
                    throw TusProtocolError(description: "the upload gave up")
                case .finish:
                    do {
                        return try await result(at: try location(of: machine))
                    } catch let error where Self.isWorthRetrying(error, after: action, length: size) && !Task.isCancelled {
                        lastFailure = error
                        event = .failed
                    }
                case .create, .patch, .head:
                    do {
                        event = try await perform(
                            action, machine: machine, reader: reader, file: file, size: size, name: name, mimeType: mimeType,
                            progress: progress)
                    } catch let error where Self.isWorthRetrying(error, after: action, length: size) && !Task.isCancelled {
                        lastFailure = error
                        event = .failed
                    }
                }
                action = machine.handle(event)
                progress?.report(machine.offset)
            }
        } catch {
            // An upload that will not be finished only counts against the user's 20
            // unfinished ones until it expires: drop it now.
            if let location = machine.location, machine.offset < size { abandon(location) }
            throw ParleyClientError.surfaced(error)
        }
    }

    private func perform(
        _ action: ResumableUpload.Action, machine: ResumableUpload, reader: FileHandle, file: URL, size: Int64, name: String,
        mimeType: String?, progress: UploadProgress?
    ) async throws -> ResumableUpload.Event {
        switch action {
        case .create:
            return try await create(size: size, name: name, mimeType: mimeType)
        case .patch(let from, let length):
            let bytes = try Self.read(reader, from: from, length: length, of: file)
            return try await patch(try location(of: machine), from: from, bytes: bytes, progress: progress)
        case .head:
            return try await head(try location(of: machine))
        case .finish, .giveUp:
            preconditionFailure("the upload loop handles \(action) itself")
        }
    }

    // MARK: tus requests

    private func create(size: Int64, name: String, mimeType: String?) async throws -> ResumableUpload.Event {
        // Upload-Metadata: comma-separated `key base64(value)` pairs (tus 1.0 creation).
        var metadata = ["filename " + Data(name.utf8).base64EncodedString()]
        if let mimeType { metadata.append("filetype " + Data(mimeType.utf8).base64EncodedString()) }
        let (_, response) = try await transport.expectSuccess(
            "POST", transport.url("/v1/media/uploads"), token: try await token(),
            headers: [
                "Tus-Resumable": Self.tusVersion, "Upload-Length": String(size), "Upload-Metadata": metadata.joined(separator: ","),
            ])
        guard let location = response.value(forHTTPHeaderField: "Location"), !location.isEmpty else {
            throw TusProtocolError(description: "the upload was created without a Location")
        }
        // Without creation-with-upload nothing was sent yet: a missing offset is 0.
        let offset = Self.offset(in: response) ?? 0
        // The Location is a path on the node; kept as a full URL so every later request goes there.
        return .created(location: transport.url(location).absoluteString, offset: offset)
    }

    private func patch(_ location: URL, from: Int64, bytes: Data, progress: UploadProgress?) async throws -> ResumableUpload.Event {
        let (_, response) = try await transport.expectSuccess(
            "PATCH", location, token: try await token(),
            headers: [
                "Tus-Resumable": Self.tusVersion, "Upload-Offset": String(from), "Content-Type": "application/offset+octet-stream",
            ],
            body: .data(bytes), progress: progress?.delegate(startingAt: from))
        guard let offset = Self.offset(in: response) else { throw TusProtocolError(description: "a PATCH answered without Upload-Offset") }
        return .patched(offset: offset)
    }

    private func head(_ location: URL) async throws -> ResumableUpload.Event {
        let (_, response) = try await transport.expectSuccess(
            "HEAD", location, token: try await token(), headers: ["Tus-Resumable": Self.tusVersion])
        guard let offset = Self.offset(in: response) else { throw TusProtocolError(description: "a HEAD answered without Upload-Offset") }
        return .headed(offset: offset)
    }

    /// The finished upload's media info (`GET` of the location; the last PATCH's
    /// `Parley-Media-Id` names the same media, but only the GET gives all of its info).
    private func result(at location: URL) async throws -> MediaInfo {
        let (data, _) = try await transport.expectSuccess(
            "GET", location, token: try await token(), headers: ["Tus-Resumable": Self.tusVersion])
        return try JSONDecoder().decode(MediaInfo.self, from: data)
    }

    /// Drops an unfinished upload (tus termination), on the side: the caller is already
    /// failing, and a DELETE that fails too changes nothing (the upload expires by itself).
    private func abandon(_ location: String) {
        let url = transport.url(location)
        Task { [transport, token] in
            guard let bearer = try? await token() else { return }
            _ = try? await transport.send("DELETE", url, token: bearer, headers: ["Tus-Resumable": Self.tusVersion], timeout: 10)
        }
    }

    // MARK: Requests

    private func location(of machine: ResumableUpload) throws -> URL {
        guard let location = machine.location, let url = URL(string: location) else {
            throw TusProtocolError(description: "no upload location")
        }
        return url
    }

    private static func offset(in response: HTTPURLResponse) -> Int64? {
        response.value(forHTTPHeaderField: "Upload-Offset").flatMap { Int64($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// `length` bytes of the file from `from`: exactly that many, or the file changed under
    /// the upload (its size was taken at the start), which no retry can mend.
    static func read(_ reader: FileHandle, from: Int64, length: Int64, of file: URL) throws -> Data {
        try reader.seek(toOffset: UInt64(from))
        let bytes = try reader.read(upToCount: Int(length)) ?? Data()
        guard bytes.count == length else {
            throw CocoaError(
                .fileReadUnknown,
                userInfo: [NSFilePathErrorKey: file.path, NSLocalizedDescriptionKey: "\(file.lastPathComponent) changed while it was uploaded"])
        }
        return bytes
    }

    /// Whether a failure of `action` may go away by itself (the machine then retries, after a
    /// wait), rather than being the server's considered refusal.
    static func isWorthRetrying(_ error: any Error, after action: ResumableUpload.Action, length: Int64) -> Bool {
        switch error {
        case let failure as HTTPStatusError:
            switch failure.status {
            case 408, 423, 429, 502, 504:
                // Timed out, another PATCH of this upload still running (a dropped one the
                // server has not noticed yet), rate limited, a proxy's trouble.
                return true
            case 409:
                // On creation: 20 unfinished uploads, which waiting does not fix. On a PATCH:
                // the offsets disagree (a HEAD settles it). On the final GET: not done yet.
                return action != .create
            case 500:
                // `internal` stored nothing and may be retried; but on the PATCH bringing the
                // last byte it is the processing of the media that failed, every time.
                if case .patch(let from, let count) = action, from + count == length { return false }
                return true
            case 503:
                // Busy (with `retryAfterMs`, or a proxy's answer) is worth a wait; Parley's
                // `unavailable` without one is the node declining the work (no image tools).
                guard let payload = failure.payload else { return true }
                return payload.retryAfterMs != nil
            default:
                return false
            }
        case is TusProtocolError:
            return true
        default:
            return isTransient(error)
        }
    }

    /// Network failures: the request may not have reached the server, or its answer was lost.
    static func isTransient(_ error: any Error) -> Bool {
        // As NSError, so URLError and the NSErrors FoundationNetworking sometimes throws read alike.
        let failure = error as NSError
        guard failure.domain == NSURLErrorDomain else { return false }
        let transient: [URLError.Code] = [
            .timedOut, .networkConnectionLost, .cannotConnectToHost, .notConnectedToInternet, .cannotFindHost, .dnsLookupFailed,
            .badServerResponse, .secureConnectionFailed,
        ]
        return transient.map(\.rawValue).contains(failure.code)
    }
}
