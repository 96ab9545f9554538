import Foundation
import ParleyProtocol

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// JSON over HTTP to a Parley node (accounts and the REST endpoints).
struct HTTPTransport: Sendable {
    let baseURL: URL

    func call<Response: Decodable>(
        _ method: String, _ path: String, query: [URLQueryItem] = [], body: (some Encodable)? = Optional<EmptyPayload>.none,
        token: String? = nil, as type: Response.Type
    ) async throws -> Response {
        var url = baseURL.appendingPathComponent(path)
        if !query.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.queryItems = query
            url = components.url ?? url
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 30
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONEncoder().encode(body)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard (200..<300).contains(status) else { throw Self.failure(status: status, body: data) }
        return try JSONDecoder().decode(Response.self, from: data)
    }

    /// The error a non-2xx answer stands for: the server's `{"error": …}` when the body is one
    /// (as every Parley error is), otherwise the status and the start of the body.
    static func failure(status: Int, body: Data) -> ParleyClientError {
        if let failure = try? JSONDecoder().decode(ErrorBody.self, from: body) {
            return .server(failure.error)
        }
        return .http(status: status, message: String(decoding: body.prefix(200), as: UTF8.self))
    }
}

/// `{"error": {...}}`, the body of every HTTP error.
private struct ErrorBody: Decodable {
    var error: ErrorPayload
}
