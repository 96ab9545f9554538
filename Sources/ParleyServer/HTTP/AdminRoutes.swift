import Crypto
import Foundation
import Hummingbird
import ParleyCore
import ParleyProtocol
import ParleyTasks

/// The admin API, behind `Authorization: Bearer <admin token>` (`--admin-token`); absent when
/// no token is configured. See docs/protocol.md §14.
struct AdminRoutes {
    let chat: Chat
    let accounts: Accounts
    let gateway: Gateway
    let tasks: any TaskQueue
    let media: MediaLibrary
    let token: String

    func add(to router: Router<ParleyRequestContext>) {
        let admin = router.group("v1/admin").add(middleware: AdminCredential(token: token))
        admin.get("stats") { _, _ in
            let counts = gateway.registry.counts
            let m = chat.metrics
            return JSONBody.response(AdminStats(
                sessions: counts.sessions, users: counts.users, peakSessions: m.connections.peak,
                messagesReceived: m.messagesReceived.current, framesDelivered: m.framesDelivered.current,
                filterMasked: m.filterMasked.current, filterRejected: m.filterRejected.current, rateLimited: m.rateLimited.current,
                rules: chat.rules.filter.rules.count))
        }
        admin.post("users/:userId/ban") { _, context in
            try await accounts.setBanned(true, userId: try context.parameters.require("userId"))
            return Routes.ok
        }
        admin.post("users/:userId/unban") { _, context in
            try await accounts.setBanned(false, userId: try context.parameters.require("userId"))
            return Routes.ok
        }
        admin.post("users/:userId/offline") { _, context in
            try await accounts.forceOffline(userId: try context.parameters.require("userId"))
            return Routes.ok
        }
        admin.post("broadcast") { request, context in
            let body = try await JSONBody.decode(Broadcast.self, from: request, context: context)
            return JSONBody.response(["recipients": try await chat.broadcast(
                title: body.title, content: body.content, to: body.userIds, priority: body.priority ?? "normal")])
        }
        admin.get("tasks/dead") { request, _ in
            let limit = request.uri.queryParameters.get("limit", as: Int.self) ?? 50
            guard (1...500).contains(limit) else { throw ChatError.badRequest("'limit' must be 1…500") }
            return JSONBody.response(DeadTasks(tasks: try await tasks.deadLetters(limit: limit), counts: tasks.counts))
        }
        admin.get("push/log") { request, _ in
            let userId = request.uri.queryParameters.get("userId").flatMap { $0.isEmpty ? nil : $0 }
            return JSONBody.response(try await chat.pushLog(userId: userId, limit: try PushRoutes.limit(request)))
        }
        admin.delete("media/:mediaId") { _, context in
            try await media.takeDown(try context.parameters.require("mediaId"))
            return Routes.ok
        }
        admin.post("rules/reload") { _, _ in
            do {
                return JSONBody.response(["rules": try chat.rules.reload()])
            } catch {
                throw ChatError.badRequest("the rules file cannot be read")
            }
        }
    }

    struct DeadTasks: Encodable, Sendable {
        var tasks: [DeadLetter]
        var counts: TaskCounts
    }

    struct AdminStats: Encodable, Sendable {
        var sessions: Int
        var users: Int
        var peakSessions: Int
        var messagesReceived: Int
        var framesDelivered: Int
        var filterMasked: Int
        var filterRejected: Int
        var rateLimited: Int
        var rules: Int
    }

    struct Broadcast: Decodable, Sendable {
        var title: String
        var content: String
        /// Listed users only; everyone when absent.
        var userIds: [String]?
        var priority: String?
    }
}

/// Refuses admin calls without the admin token (compared in constant time).
struct AdminCredential: RouterMiddleware {
    typealias Context = ParleyRequestContext
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let parts = (request.headers[.authorization] ?? "").split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", Self.equal(String(parts[1]), token)
        else {
            throw ChatError(.unauthorized, "the admin API needs the admin token")
        }
        return try await next(request, context)
    }

    static func equal(_ a: String, _ b: String) -> Bool {
        let x = SHA256.hash(data: Data(a.utf8)), y = SHA256.hash(data: Data(b.utf8))
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
