import Hummingbird
import ParleyCore
import ParleyProtocol

/// Friends, blocks and presence (see docs/protocol.md).
struct FriendRoutes {
    let chat: Chat
    let presence: Presence
    let gateway: Gateway

    func add(to router: RouterGroup<ParleyRequestContext>) {
        router.post("friends/requests") { request, context in
            let body = try await JSONBody.decode(FriendRequestBody.self, from: request, context: context)
            return JSONBody.response(try await chat.requestFriendship(body, from: try context.requireCaller()))
        }
        router.get("friends/requests") { _, context in
            JSONBody.response(try await chat.friendRequests(for: try context.requireCaller()))
        }
        router.post("friends/requests/:requestId/accept") { _, context in
            JSONBody.response(try await chat.decideFriendRequest(
                try context.parameters.require("requestId"), accept: true, by: try context.requireCaller()))
        }
        router.post("friends/requests/:requestId/reject") { _, context in
            JSONBody.response(try await chat.decideFriendRequest(
                try context.parameters.require("requestId"), accept: false, by: try context.requireCaller()))
        }
        router.get("friends") { _, context in
            JSONBody.response(try await chat.friends(of: try context.requireCaller()))
        }
        router.delete("friends/:userId") { _, context in
            try await chat.unfriend(try context.parameters.require("userId"), by: try context.requireCaller())
            return Routes.ok
        }
        router.post("blocks") { request, context in
            let body = try await JSONBody.decode(BlockBody.self, from: request, context: context)
            try await chat.block(body.userId, by: try context.requireCaller())
            return Routes.ok
        }
        router.get("blocks") { _, context in
            JSONBody.response(try await chat.blocks(of: try context.requireCaller()))
        }
        router.delete("blocks/:userId") { _, context in
            try await chat.unblock(try context.parameters.require("userId"), by: try context.requireCaller())
            return Routes.ok
        }
        router.get("presence") { request, context in
            let ids = (request.uri.queryParameters.get("userIds") ?? "").split(separator: ",").map(String.init)
            // A read like history: one query can cost a store read per user asked about.
            let caller = try context.requireCaller()
            try gateway.admit(caller, to: gateway.userReads)
            return JSONBody.response(try await presence.query(ids, for: caller))
        }
    }
}
