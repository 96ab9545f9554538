import Hummingbird
import ParleyCore
import ParleyProtocol

/// Groups: lifecycle, members, join requests, roles and mutes (see docs/protocol.md).
struct GroupRoutes {
    let chat: Chat

    func add(to router: RouterGroup<ParleyRequestContext>) {
        router.post("groups") { request, context in
            let body = try await JSONBody.decode(CreateGroup.self, from: request, context: context)
            return JSONBody.response(try await chat.createGroup(body, by: try context.requireCaller()))
        }
        router.get("groups/:groupId") { _, context in
            JSONBody.response(try await chat.groupInfo(try context.parameters.require("groupId"), for: try context.requireCaller()))
        }
        router.patch("groups/:groupId") { request, context in
            let body = try await JSONBody.decode(GroupUpdate.self, from: request, context: context)
            return JSONBody.response(try await chat.updateGroup(
                try context.parameters.require("groupId"), body, by: try context.requireCaller()))
        }
        router.delete("groups/:groupId") { _, context in
            try await chat.dismissGroup(try context.parameters.require("groupId"), by: try context.requireCaller())
            return Routes.ok
        }
        router.post("groups/:groupId/members") { request, context in
            let body = try await JSONBody.decode(InviteMembers.self, from: request, context: context)
            return JSONBody.response(try await chat.invite(
                body, to: try context.parameters.require("groupId"), by: try context.requireCaller()))
        }
        router.delete("groups/:groupId/members/:userId") { _, context in
            try await chat.removeMember(
                try context.parameters.require("userId"), from: try context.parameters.require("groupId"),
                by: try context.requireCaller())
            return Routes.ok
        }
        router.post("groups/:groupId/join-requests") { request, context in
            let body = try await JSONBody.decodeIfPresent(JoinRequestBody.self, from: request, context: context) ?? JoinRequestBody()
            return JSONBody.response(try await chat.requestToJoin(
                try context.parameters.require("groupId"), body, from: try context.requireCaller()))
        }
        router.get("groups/:groupId/join-requests") { _, context in
            JSONBody.response(try await chat.joinRequests(of: try context.parameters.require("groupId"), for: try context.requireCaller()))
        }
        router.post("groups/:groupId/join-requests/:requestId/accept") { _, context in
            JSONBody.response(try await chat.decideJoinRequest(
                try context.parameters.require("requestId"), of: try context.parameters.require("groupId"), accept: true,
                by: try context.requireCaller()))
        }
        router.post("groups/:groupId/join-requests/:requestId/reject") { _, context in
            JSONBody.response(try await chat.decideJoinRequest(
                try context.parameters.require("requestId"), of: try context.parameters.require("groupId"), accept: false,
                by: try context.requireCaller()))
        }
        router.get("group-invitations") { _, context in
            JSONBody.response(try await chat.groupInvitations(for: try context.requireCaller()))
        }
        router.post("group-invitations/:invitationId/accept") { _, context in
            JSONBody.response(try await chat.answerInvitation(
                try context.parameters.require("invitationId"), accept: true, by: try context.requireCaller()))
        }
        router.post("group-invitations/:invitationId/reject") { _, context in
            JSONBody.response(try await chat.answerInvitation(
                try context.parameters.require("invitationId"), accept: false, by: try context.requireCaller()))
        }
        router.put("groups/:groupId/roles/:userId") { request, context in
            let body = try await JSONBody.decode(RoleAssignment.self, from: request, context: context)
            try await chat.assignRole(
                body.role, to: try context.parameters.require("userId"), in: try context.parameters.require("groupId"),
                by: try context.requireCaller())
            return Routes.ok
        }
        router.put("groups/:groupId/mutes/:userId") { request, context in
            let body = try await JSONBody.decode(MemberMute.self, from: request, context: context)
            try await chat.muteMember(
                try context.parameters.require("userId"), in: try context.parameters.require("groupId"), until: body.until,
                by: try context.requireCaller())
            return Routes.ok
        }
        router.delete("groups/:groupId/mutes/:userId") { _, context in
            try await chat.muteMember(
                try context.parameters.require("userId"), in: try context.parameters.require("groupId"), until: 0,
                by: try context.requireCaller())
            return Routes.ok
        }
        router.post("groups/:groupId/transfer") { request, context in
            let body = try await JSONBody.decode(OwnershipTransfer.self, from: request, context: context)
            try await chat.transferGroup(
                try context.parameters.require("groupId"), to: body.userId, by: try context.requireCaller())
            return Routes.ok
        }
    }
}
