import Foundation
import Hummingbird
import ParleyCore
import ParleyProtocol

/// Edit, delete for me, reactions and search (see docs/protocol.md).
struct MessageRoutes {
    let chat: Chat
    let gateway: Gateway

    func add(to router: RouterGroup<ParleyRequestContext>) {
        router.post("conversations/:conversationId/messages/:messageId/edit") { request, context in
            struct Body: Decodable { var content: JSONValue }
            let body = try await JSONBody.decode(Body.self, from: request, context: context)
            let edit = EditRequest(
                conversationId: try context.parameters.require("conversationId"),
                messageId: try context.parameters.require("messageId"), content: body.content)
            return JSONBody.response(try await chat.edit(edit, by: try context.requireCaller()))
        }
        router.get("conversations/:conversationId/messages/:messageId/edits") { _, context in
            JSONBody.response(try await chat.editHistory(
                of: try context.parameters.require("messageId"), in: try context.parameters.require("conversationId"),
                for: try context.requireCaller()))
        }
        router.post("conversations/:conversationId/messages/delete") { request, context in
            struct Body: Decodable { var messageIds: [String] }
            let body = try await JSONBody.decode(Body.self, from: request, context: context)
            let delete = DeleteRequest(conversationId: try context.parameters.require("conversationId"), messageIds: body.messageIds)
            return JSONBody.response(try await chat.delete(delete, by: try context.requireCaller()))
        }
        router.post("conversations/:conversationId/messages/:messageId/reactions") { request, context in
            struct Body: Decodable { var emoji: String }
            let body = try await JSONBody.decode(Body.self, from: request, context: context)
            return JSONBody.response(try await chat.react(
                reaction(context, emoji: body.emoji, action: "add"), by: try context.requireCaller()))
        }
        router.delete("conversations/:conversationId/messages/:messageId/reactions/:emoji") { _, context in
            JSONBody.response(try await chat.react(
                reaction(context, emoji: try Self.decoded(context.parameters.require("emoji")), action: "remove"),
                by: try context.requireCaller()))
        }
        router.get("search/messages") { request, context in
            let query = request.uri.queryParameters
            let search = MessageSearchQuery(
                text: query.get("q") ?? "", conversationId: query.get("conversationId"), senderId: query.get("senderId"),
                from: try Routes.intQuery(request, "from"), to: try Routes.intQuery(request, "to"),
                contentType: query.get("contentType"), limit: try Routes.intQuery(request, "limit").map(Int.init),
                cursor: query.get("cursor"))
            let caller = try context.requireCaller()
            try gateway.admit(caller, to: gateway.userReads)
            return JSONBody.response(try await chat.searchMessages(search, for: caller))
        }
        router.get("search/users") { request, context in
            try gateway.admit(try context.requireCaller(), to: gateway.userReads)
            return JSONBody.response(try await chat.searchUsers(request.uri.queryParameters.get("q") ?? ""))
        }
        router.get("search/groups") { request, context in
            try gateway.admit(try context.requireCaller(), to: gateway.userReads)
            return JSONBody.response(try await chat.searchGroups(request.uri.queryParameters.get("q") ?? ""))
        }
    }

    /// A path segment as written (emoji arrive percent-encoded).
    static func decoded(_ segment: String) throws -> String {
        guard let text = segment.removingPercentEncoding else { throw ChatError.badRequest("malformed path") }
        return text
    }

    private func reaction(_ context: ParleyRequestContext, emoji: String, action: String) throws -> ReactionRequest {
        ReactionRequest(
            conversationId: try context.parameters.require("conversationId"), messageId: try context.parameters.require("messageId"),
            emoji: emoji, action: action)
    }
}
