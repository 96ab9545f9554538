import Foundation
import Hummingbird
import HummingbirdWebSocket
import ParleyCore
import ParleyTasks
import ParleyProtocol

/// The HTTP API and the WebSocket endpoint (see docs/protocol.md).
struct Routes {
    let chat: Chat
    let accounts: Accounts
    let presence: Presence
    let gateway: Gateway
    let tasks: any TaskQueue
    let addresses: ClientAddress
    let media: NodeMedia
    /// The browser client, or nil on an API-only node.
    let web: WebClientSource?

    func add(to router: Router<ParleyRequestContext>) {
        router.add(middleware: ErrorResponses())
        router.get("healthz") { _, _ in
            let counts = gateway.registry.counts
            return JSONBody.response(Health(status: "ok", sessions: counts.sessions, users: counts.users))
        }

        web.map { WebClientRoutes(source: $0).add(to: router) }
        ObservabilityRoutes(chat: chat, gateway: gateway, tasks: tasks, media: media.library).add(to: router)
        ResumableUploadRoutes(media: media, gateway: gateway, addresses: addresses).addDiscovery(to: router)
        if let token = gateway.configuration.adminToken {
            AdminRoutes(chat: chat, accounts: accounts, gateway: gateway, tasks: tasks, media: media.library, token: token).add(to: router)
        }

        let auth = router.group("v1/auth")
        auth.post("register") { request, context in
            let body = try await JSONBody.decode(RegisterRequest.self, from: request, context: context)
            return JSONBody.response(try await accounts.register(body, from: addresses.of(request, context: context)))
        }
        auth.post("login") { request, context in
            let body = try await JSONBody.decode(LoginRequest.self, from: request, context: context)
            return JSONBody.response(try await accounts.login(body, from: addresses.of(request, context: context)))
        }
        auth.post("refresh") { request, context in
            let body = try await JSONBody.decode(RefreshRequest.self, from: request, context: context)
            return JSONBody.response(try await accounts.refresh(body, from: addresses.of(request, context: context)))
        }

        let authenticated = router.group("v1").add(middleware: Authentication(accounts: accounts))
        authenticated.post("auth/logout") { _, context in
            try await accounts.logout(try context.requireCaller())
            return JSONBody.response(["status": "ok"])
        }
        authenticated.post("auth/password") { request, context in
            let body = try await JSONBody.decode(PasswordChange.self, from: request, context: context)
            return JSONBody.response(try await accounts.changePassword(
                body, for: try context.requireCaller(), from: addresses.of(request, context: context)))
        }
        authenticated.get("users/me") { _, context in
            JSONBody.response(try await chat.ownProfile(of: try context.requireCaller()))
        }
        authenticated.patch("users/me") { request, context in
            let update = try await JSONBody.decode(ProfileUpdate.self, from: request, context: context)
            return JSONBody.response(try await chat.updateProfile(update, of: try context.requireCaller()))
        }
        authenticated.delete("users/me") { request, context in
            struct Body: Decodable { var password: String }
            let body = try await JSONBody.decode(Body.self, from: request, context: context)
            let user = try await accounts.confirmPassword(
                body.password, of: try context.requireCaller(), from: addresses.of(request, context: context))
            // The account goes first (logins revoked, no new adds or sends can reach it), then the
            // groups are handed over; a failure there leaves a deleted user, not a live one.
            try await accounts.deleteAccount(of: user)
            try await chat.refreshProfile(user.id)
            try await chat.leaveEveryGroup(of: user.id)
            return Self.ok
        }
        authenticated.get("users/:userId") { _, context in
            JSONBody.response(try await accounts.profile(of: try context.parameters.require("userId")))
        }
        authenticated.get("conversations") { request, context in
            let limit = try Self.intQuery(request, "limit").map(Int.init)
            let caller = try context.requireCaller()
            try gateway.admit(caller, to: gateway.userReads)
            return JSONBody.response(ConversationList(conversations: try await chat.conversations(for: caller, limit: limit)))
        }
        authenticated.get("conversations/:conversationId/messages") { request, context in
            let history = HistoryRequest(
                conversationId: try context.parameters.require("conversationId"),
                afterSeq: try Self.intQuery(request, "afterSeq"), beforeSeq: try Self.intQuery(request, "beforeSeq"),
                limit: try Self.intQuery(request, "limit").map(Int.init))
            let caller = try context.requireCaller()
            try gateway.admit(caller, to: gateway.userReads)
            return JSONBody.response(try await chat.history(history, for: caller))
        }
        authenticated.patch("conversations/:conversationId") { request, context in
            let settings = try await JSONBody.decode(ConversationSettings.self, from: request, context: context)
            return JSONBody.response(try await chat.updateSettings(
                settings, of: try context.parameters.require("conversationId"), by: try context.requireCaller()))
        }
        authenticated.get("conversations/:conversationId/messages/:messageId/receipts") { _, context in
            JSONBody.response(try await chat.receipts(
                of: try context.parameters.require("messageId"), in: try context.parameters.require("conversationId"),
                for: try context.requireCaller()))
        }
        authenticated.post("conversations/:conversationId/receipts") { request, context in
            struct Body: Decodable { var seq: Int64; var status: ReceiptStatus }
            let body = try await JSONBody.decode(Body.self, from: request, context: context)
            let receipt = ReceiptRequest(conversationId: try context.parameters.require("conversationId"), seq: body.seq, status: body.status)
            return JSONBody.response(try await chat.acknowledge(receipt, from: try context.requireCaller()))
        }
        authenticated.post("conversations/:conversationId/messages/:messageId/recall") { _, context in
            let recall = RecallRequest(
                conversationId: try context.parameters.require("conversationId"),
                messageId: try context.parameters.require("messageId"))
            return JSONBody.response(try await chat.recall(recall, by: try context.requireCaller()))
        }
        authenticated.post("messages") { request, context in
            let message = try await JSONBody.decode(SendMessage.self, from: request, context: context)
            let caller = try context.requireCaller()
            try gateway.admit(caller, to: gateway.userLimits)
            return JSONBody.response(try await chat.send(message, from: caller))
        }
        authenticated.get("sync") { request, context in
            let sync = SyncRequest(
                since: try Self.intQuery(request, "since") ?? 0,
                notificationsAfter: try Self.intQuery(request, "notificationsAfter") ?? 0,
                limit: try Self.intQuery(request, "limit").map(Int.init))
            let caller = try context.requireCaller()
            try gateway.admit(caller, to: gateway.userReads)
            return JSONBody.response(try await chat.sync(sync, for: caller))
        }

        MessageRoutes(chat: chat, gateway: gateway).add(to: authenticated)
        PushRoutes(chat: chat, gateway: gateway).add(to: authenticated)
        MediaRoutes(media: media, gateway: gateway, addresses: addresses).add(to: authenticated)
        ResumableUploadRoutes(media: media, gateway: gateway, addresses: addresses).add(to: authenticated)
        FriendRoutes(chat: chat, presence: presence, gateway: gateway).add(to: authenticated)
        GroupRoutes(chat: chat).add(to: authenticated)

        // Accepted upgrades never reach the router (`SessionChannel` runs them); what does is a
        // refused one, or a plain GET: the middleware answers 401 or 400 as for any request.
        authenticated.add(middleware: DeviceAnnouncement(maxIdLength: chat.limits.maxClientIdLength))
            .get("ws") { _, _ -> Response in
                throw ChatError.badRequest("GET /v1/ws opens a WebSocket: send 'Upgrade: websocket' with a valid token and device")
            }
    }

    /// `GET /healthz`: the node serves; how many sessions and users it holds.
    struct Health: Encodable, Sendable {
        var status: String
        var sessions: Int
        var users: Int
    }

    /// `{"status": "ok"}`, for changes with nothing else to say.
    static var ok: Response { JSONBody.response(["status": "ok"]) }

    /// An integer query parameter; present but not an integer is a `bad_request`.
    static func intQuery(_ request: Request, _ name: String) throws -> Int64? {
        guard let text = request.uri.queryParameters.get(name), !text.isEmpty else { return nil }
        guard let value = Int64(text) else { throw ChatError.badRequest("query parameter '\(name)' must be an integer") }
        return value
    }
}
