import Hummingbird
import ParleyCore
import ParleyProtocol

/// Offline push: devices' tokens and the user's settings (see docs/protocol.md).
struct PushRoutes {
    let chat: Chat
    let gateway: Gateway

    func add(to router: RouterGroup<ParleyRequestContext>) {
        router.post("push/tokens") { request, context in
            let body = try await JSONBody.decode(PushTokenRegistration.self, from: request, context: context)
            return JSONBody.response(try await chat.registerPushToken(body, for: try context.requireCaller()))
        }
        router.get("push/tokens") { _, context in
            JSONBody.response(try await chat.pushTokens(for: try context.requireCaller()))
        }
        router.delete("push/tokens/:tokenId") { _, context in
            try await chat.deletePushToken(try context.parameters.require("tokenId"), for: try context.requireCaller())
            return Routes.ok
        }
        router.get("push/settings") { _, context in
            JSONBody.response(try await chat.pushSettings(for: try context.requireCaller()))
        }
        router.patch("push/settings") { request, context in
            let body = try await JSONBody.decode(PushSettingsUpdate.self, from: request, context: context)
            return JSONBody.response(try await chat.updatePushSettings(body, for: try context.requireCaller()))
        }
        router.get("push/log") { request, context in
            let caller = try context.requireCaller()
            // A read of up to 200 rows: it counts against the user's reads, as history does.
            try gateway.admit(caller, to: gateway.userReads)
            return JSONBody.response(try await chat.pushLog(for: caller, limit: try Self.limit(request)))
        }
    }

    /// `?limit=`: 50 when absent; a value that is not a number is refused, not ignored.
    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters.get("limit") else { return 50 }
        guard let limit = Int(text) else { throw ChatError.badRequest("'limit' must be a number 1…200") }
        return limit
    }
}
