import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import ParleyCore

/// The browser client: its page at `/`, its files under `/assets/<version>/`.
///
/// The page is revalidated on every load (an `ETag` of the version answers `304`); assets are
/// immutable for a year, as a new version has new paths. Both are sent gzipped to browsers that
/// take it, from copies compressed once. The page runs under a strict
/// Content-Security-Policy: scripts and styles from this origin only, no inline code, no
/// framing, connections to this origin only (the API and the WebSocket).
struct WebClientRoutes: Sendable {
    /// The client to serve: built in, or re-read from a folder on each request.
    let source: WebClientSource

    static let contentSecurityPolicy = [
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' blob: data:",
        "media-src 'self' blob:", "connect-src 'self'", "object-src 'none'", "base-uri 'none'",
        "frame-ancestors 'none'", "form-action 'none'",
    ].joined(separator: "; ")

    func add(to router: Router<ParleyRequestContext>) {
        router.get("/") { request, _ in try page(for: request) }
        router.get("assets/:version/**") { request, context in try asset(for: request, context: context) }
        // HEAD answers as GET would, without the body (uptime checks, caches revalidating).
        router.head("/") { request, _ in Self.headersOnly(try page(for: request)) }
        router.head("assets/:version/**") { request, context in Self.headersOnly(try asset(for: request, context: context)) }
    }

    private func page(for request: Request) throws -> Response {
        let client = try source.client()
        var headers = Self.securityHeaders
        headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
        headers[.cacheControl] = source.isDevelopment ? "no-store" : "no-cache"
        headers[.vary] = "Accept-Encoding"
        // Weak: the gzipped and the plain page are the same page, not the same bytes.
        headers[.eTag] = "W/\"\(client.version)\""
        // If-None-Match compares weakly (RFC 9110 §13.1.2), so the bare tag is the one to match.
        if EntityTag.matches(request.headers[.ifNoneMatch], etag: "\"\(client.version)\"") {
            return Response(status: .notModified, headers: headers)
        }
        return Self.response(client.page, headers: headers, for: request)
    }

    private func asset(for request: Request, context: ParleyRequestContext) throws -> Response {
        let client = try source.client()
        let path = context.parameters.getCatchAll().joined(separator: "/")
        // Another version's file is not served: mixing versions would break the modules.
        // From a folder being edited, though, the page's version may be a save behind.
        let current = source.isDevelopment || context.parameters.get("version") == client.version
        guard current, let asset = client.assets[path] else {
            throw ChatError.notFound("no such file of the web client (version \(client.version) is served)")
        }
        var headers = Self.securityHeaders
        headers[.cacheControl] = source.isDevelopment ? "no-store" : "public, max-age=31536000, immutable"
        return Self.response(asset, headers: headers, for: request)
    }

    private static func headersOnly(_ response: Response) -> Response {
        var headers = response.headers
        if let length = response.body.contentLength { headers[.contentLength] = String(length) }
        return Response(status: response.status, headers: headers)
    }

    /// The file, gzipped when it has a gzipped copy and the browser takes one.
    private static func response(_ asset: WebClient.Asset, headers: HTTPFields, for request: Request) -> Response {
        var headers = headers
        headers[.contentType] = asset.contentType
        guard let gzipped = asset.gzipped else {
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.bytes))
        }
        headers[.vary] = "Accept-Encoding"
        guard Gzip.isAccepted(by: request.headers[.acceptEncoding]) else {
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: asset.bytes))
        }
        headers[.contentEncoding] = "gzip"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: gzipped))
    }

    private static let securityHeaders: HTTPFields = {
        var headers = HTTPFields()
        headers[.xContentTypeOptions] = "nosniff"
        headers[MediaHeaders.referrerPolicy] = "no-referrer"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        headers[HTTPField.Name("Permissions-Policy")!] = "camera=(), microphone=(), geolocation=()"
        return headers
    }()
}

/// Where the served client comes from.
enum WebClientSource: Sendable {
    /// The copy built into the binary, hashed once.
    case embedded(WebClient)
    /// A folder read on every request, so edits show on reload (work on the client).
    case directory(URL)

    var isDevelopment: Bool {
        if case .directory = self { return true }
        return false
    }

    func client() throws -> WebClient {
        switch self {
        case .embedded(let client): client
        case .directory(let url): try WebClient.read(directory: url)
        }
    }
}
