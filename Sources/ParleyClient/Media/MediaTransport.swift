import Foundation
import ParleyProtocol

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Raw HTTP to a node's media endpoints: bodies that are bytes, not JSON, and headers that
/// matter (`Location`, `Upload-Offset`). `HTTPTransport` stays the JSON path; both map error
/// answers the same way (`HTTPTransport.failure`).
struct MediaTransport: Sendable {
    let baseURL: URL

    /// A request's body.
    enum Body: Sendable {
        case empty
        case data(Data)
        /// Streamed from disk by URLSession, never read into memory whole.
        case file(URL, size: Int64)

        var count: Int64 {
            switch self {
            case .empty: 0
            case .data(let data): Int64(data.count)
            case .file(_, let size): size
            }
        }
    }

    /// A server path (`/v1/media/…`, a tus `Location`) as a URL on this node, or an absolute
    /// URL as it is.
    ///
    /// The path is appended to the base URL's path rather than resolved against it, as
    /// `HTTPTransport` does for every other endpoint: a node reached under a prefix
    /// (`https://example.com/chat/`) answers paths without it (`/v1/media/…`), and RFC 3986
    /// resolution would drop the prefix.
    static func resolve(_ reference: String, against base: URL) -> URL {
        if let absolute = URL(string: reference), absolute.scheme != nil { return absolute }
        guard var components = URLComponents(url: base, resolvingAgainstBaseURL: false),
            let given = URLComponents(string: reference.hasPrefix("/") ? reference : "/" + reference)
        else { return base.appendingPathComponent(reference) }
        var prefix = components.percentEncodedPath
        while prefix.hasSuffix("/") { prefix.removeLast() }
        components.percentEncodedPath = prefix + given.percentEncodedPath
        components.percentEncodedQuery = given.percentEncodedQuery
        components.fragment = nil
        return components.url ?? base.appendingPathComponent(reference)
    }

    func url(_ reference: String) -> URL { Self.resolve(reference, against: baseURL) }

    /// Sends one request and returns the answer whatever its status; `progress` hears the
    /// body's bytes as they are written. `timeout` bounds the whole request (default: enough
    /// for the body at a slow pace).
    func send(
        _ method: String, _ url: URL, token: String, headers: [String: String] = [:], body: Body = .empty,
        timeout: TimeInterval? = nil, progress: UploadProgressDelegate? = nil
    ) async throws -> (Data, HTTPURLResponse) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        // An upload's state (HEAD, GET of its location) must come from the server every time,
        // never from a cache.
        request.cachePolicy = .reloadIgnoringLocalCacheData
        // On Linux the timeout bounds the whole request, not the time between packets as on
        // Apple platforms: allow for a slow link (64 KiB/s) to carry the whole body.
        request.timeoutInterval = timeout ?? (60 + Double(body.count) / 65_536)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let answer: (Data, URLResponse)
        switch body {
        case .empty:
            answer = try await URLSession.shared.data(for: request, delegate: progress)
        case .data(let data):
            answer = try await URLSession.shared.upload(for: request, from: data, delegate: progress)
        case .file(let file, _):
            answer = try await URLSession.shared.upload(for: request, fromFile: file, delegate: progress)
        }
        guard let response = answer.1 as? HTTPURLResponse else {
            throw ParleyClientError.http(status: 0, message: "not an HTTP response")
        }
        return (answer.0, response)
    }

    /// `send`, then the body of a 2xx answer; any other status throws `HTTPStatusError`.
    func expectSuccess(
        _ method: String, _ url: URL, token: String, headers: [String: String] = [:], body: Body = .empty,
        timeout: TimeInterval? = nil, progress: UploadProgressDelegate? = nil
    ) async throws -> (Data, HTTPURLResponse) {
        let (data, response) = try await send(
            method, url, token: token, headers: headers, body: body, timeout: timeout, progress: progress)
        guard (200..<300).contains(response.statusCode) else { throw HTTPStatusError(status: response.statusCode, body: data) }
        return (data, response)
    }
}

/// A non-2xx answer, kept with its status until it is known whether it is worth a retry; what
/// reaches the app is `clientError`, the SDK's usual error.
struct HTTPStatusError: Error, Sendable {
    let status: Int
    let body: Data

    var clientError: ParleyClientError { HTTPTransport.failure(status: status, body: body) }

    /// The server's error, if the body is one.
    var payload: ErrorPayload? {
        if case .server(let payload) = clientError { return payload }
        return nil
    }
}

/// An answer that breaks the tus protocol (a `204` without `Upload-Offset`, a `201` without
/// `Location`): most likely a proxy's doing, and worth asking again.
struct TusProtocolError: Error, Sendable, CustomStringConvertible {
    let description: String
}

extension ParleyClientError {
    /// What the SDK reports for a failure of a media request: server answers as
    /// `ParleyClientError`, anything else (network, files) as it is.
    static func surfaced(_ error: any Error) -> any Error {
        switch error {
        case let failure as HTTPStatusError: return failure.clientError
        case let failure as TusProtocolError: return ParleyClientError.http(status: 0, message: failure.description)
        default: return error
        }
    }
}
