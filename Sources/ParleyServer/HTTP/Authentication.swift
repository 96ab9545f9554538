import Hummingbird
import HummingbirdCore
import NIOHTTP1
import ParleyCore
import ParleyProtocol

/// Checks the access token (`Authorization: Bearer …`, or `access_token=` in the query of the
/// WebSocket upgrade and of media downloads, which browsers cannot give headers) and puts the
/// caller in the context. Anything else is a 401. A token in any other URL would end up in
/// logs, histories and `Referer` headers, so no other route takes one.
struct Authentication: RouterMiddleware {
    typealias Context = ParleyRequestContext
    let accounts: Accounts

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        guard let token = Self.token(in: request) else { throw ChatError.unauthorized }
        context.caller = try await accounts.authenticate(accessToken: token)
        return try await next(request, context)
    }

    static func token(in request: Request) -> String? {
        token(authorization: request.headers[.authorization], uri: request.uri)
    }

    /// Whether a path takes `access_token` from the query: the WebSocket upgrade, and media
    /// downloads (`<img src>` sends no header either). Their responses say `Referrer-Policy:
    /// no-referrer`, so the URL does not travel on.
    static func takesQueryToken(_ path: String) -> Bool {
        if path == "/v1/ws" { return true }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        // "", "v1", "media", id[, "thumbnail" | "display"]
        guard parts.count == 4 || parts.count == 5, parts[0].isEmpty, parts[1] == "v1", parts[2] == "media",
            MediaLibrary.isMediaId(String(parts[3]))
        else { return false }
        return parts.count == 4 || parts[4] == "thumbnail" || parts[4] == "display"
    }

    /// The bearer token of an `Authorization` header; without the header, `access_token`
    /// from the query of the paths that take one. A malformed header is no token, whatever the
    /// query says.
    static func token(authorization: String?, uri: URI) -> String? {
        if let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
        }
        guard takesQueryToken(uri.path) else { return nil }
        return uri.queryParameters.get("access_token")
    }
}

/// On the WebSocket upgrade: reads `deviceId` and `platform` from the query.
struct DeviceAnnouncement: RouterMiddleware {
    typealias Context = ParleyRequestContext
    let maxIdLength: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.device = try DeviceIdentity(caller: try context.requireCaller(), query: request.uri, maxIdLength: maxIdLength)
        return try await next(request, context)
    }
}

extension DeviceIdentity {
    /// The device announced in the upgrade's query; missing `deviceId` means one anonymous
    /// device per login, missing `platform` means `web`.
    init(caller: Caller, query uri: URI, maxIdLength: Int) throws {
        let query = uri.queryParameters
        let deviceId = query.get("deviceId") ?? "anonymous-\(caller.authSessionId ?? caller.userId)"
        try Chat.requireDeviceId(deviceId, maxLength: maxIdLength)
        let platform = query.get("platform") ?? Platform.web.rawValue
        guard Platform(rawValue: platform) != nil else {
            throw ChatError.badRequest("'platform' must be one of \(Platform.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self.init(caller: caller, deviceId: deviceId, platform: platform)
    }

    /// The identity of an upgrade request that is accepted: the WebSocket path, a valid
    /// token and a well-formed device; nil when it is refused (the router then answers it).
    static func admitted(_ head: HTTPRequestHead, accounts: Accounts, maxIdLength: Int) async -> DeviceIdentity? {
        let uri = URI(head.uri)
        guard uri.path == "/v1/ws" else { return nil }
        guard let token = Authentication.token(authorization: head.headers.first(name: "authorization"), uri: uri),
            let caller = try? await accounts.authenticate(accessToken: token) else { return nil }
        return try? DeviceIdentity(caller: caller, query: uri, maxIdLength: maxIdLength)
    }
}
