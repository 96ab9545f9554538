import ParleyProtocol
import ParleyStore

extension Chat {
    /// Asks to join a group. `open` groups admit at once; `approval` groups notify the owner
    /// and admins with `group_join_request`; `invite_only` groups refuse.
    public func requestToJoin(_ groupId: String, _ body: JoinRequestBody, from caller: Caller) async throws -> RequestReceipt {
        let group = try await liveGroup(groupId)
        let message = try boundedText(body.message ?? "", named: "message", max: limits.maxRequestMessageLength)
        let members = try await store.members(conversationId: group.conversationId)
        if members.contains(where: { $0.userId == caller.userId }) {
            throw ChatError(.conflict, "already a member of this group")
        }
        if group.joinPolicy == .inviteOnly {
            throw ChatError.forbidden("this group admits members by invitation only")
        }
        if let pending = try await store.pendingRequest(kind: .groupJoin, fromId: caller.userId, targetId: groupId) {
            return RequestReceipt(requestId: pending.id, status: pending.status.rawValue)
        }
        let request = RequestRecord(
            id: ids.next(), kind: .groupJoin, fromId: caller.userId, targetId: groupId, message: message, createdAt: clock.now())
        let name = try await profiles.user(caller.userId)?.displayName ?? "Someone"
        let notice = Notice(
            type: NotificationType.groupJoinRequest, title: "Request to join", content: "\(name) asks to join \(group.name)",
            actionType: "accept_reject",
            actionData: [
                "groupId": .string(groupId), "requestId": .string(request.id), "userId": .string(caller.userId),
                "message": .string(message),
            ],
            priority: "high")
        let approvers = group.joinPolicy == .open ? [] : members.filter { $0.role >= .admin }.map(\.userId)
        do {
            await deliver(try await store.createRequest(request, notices: address(notice, to: approvers)))
        } catch StoreError.duplicate {
            throw ChatError(.conflict, "a request to join is pending")
        }
        if group.joinPolicy == .open {
            do {
                return try await settle(request, in: group, accept: true, by: caller.userId, members: members)
            } catch let error as ChatError where error.code == .conflict {
                // Full: the request must not stay pending (a later try would find it and wait).
                await dropRequest(request.id, by: caller.userId)
                throw error
            }
        }
        return RequestReceipt(requestId: request.id, status: RequestStatus.pending.rawValue)
    }

    /// Accepts or rejects a request to join (owner and admins).
    public func decideJoinRequest(_ requestId: String, of groupId: String, accept: Bool, by caller: Caller) async throws -> RequestReceipt {
        let view = try await groupView(groupId, for: caller)
        try requireRole(view, atLeast: .admin, to: "answer join requests")
        try requireIdentifier(requestId, named: "requestId")
        guard let request = try await store.request(id: requestId), request.kind == .groupJoin, request.targetId == groupId else {
            throw ChatError.notFound("join request not found")
        }
        guard request.status == .pending else {
            throw ChatError(.conflict, "this request was already \(request.status.rawValue)")
        }
        if accept, view.members.count + 1 > limits.maxGroupSize {
            throw groupIsFull
        }
        return try await settle(request, in: view.group, accept: accept, by: caller.userId, members: view.members)
    }

    /// Decides a join request: on acceptance the requester and every member get
    /// `group_member_joined`; on rejection the requester gets `group_join_rejected`.
    private func settle(
        _ request: RequestRecord, in group: GroupRecord, accept: Bool, by deciderId: String, members: [MembershipRecord]
    ) async throws -> RequestReceipt {
        let notices: [NewNotification]
        if accept {
            let notice = Notice(
                type: NotificationType.groupMemberJoined, title: "New member", content: group.name,
                actionData: [
                    "groupId": .string(group.id), "conversationId": .string(group.conversationId),
                    "userId": .string(request.fromId), "userIds": .strings([request.fromId]),
                    "requestId": .string(request.id), "approvedBy": .string(deciderId),
                ])
            notices = address(notice, to: members.map(\.userId) + [request.fromId])
        } else {
            let notice = Notice(
                type: NotificationType.groupJoinRejected, title: "Request to join declined", content: group.name,
                actionData: ["groupId": .string(group.id), "requestId": .string(request.id), "userId": .string(deciderId)])
            notices = address(notice, to: [request.fromId])
        }
        let decided: [NotificationRecord]?
        do {
            // The bound is checked in the deciding transaction: concurrent joins cannot pass it together.
            decided = try await store.decideRequest(
                id: request.id, accept: accept, by: deciderId, at: clock.now(), notices: notices, groupCapacity: limits.maxGroupSize)
        } catch StoreError.full {
            throw groupIsFull
        }
        guard let records = decided else {
            throw ChatError(.conflict, "this request was already decided")
        }
        await membersChanged(group.conversationId)
        await deliver(records)
        return RequestReceipt(requestId: request.id, status: accept ? "accepted" : "rejected")
    }

    /// Pending requests to join (owner and admins).
    public func joinRequests(of groupId: String, for caller: Caller) async throws -> JoinRequestList {
        let view = try await groupView(groupId, for: caller)
        try requireRole(view, atLeast: .admin, to: "see join requests")
        let pending = try await store.pendingRequests(kind: .groupJoin, involving: [groupId], limit: 500)
        return JoinRequestList(requests: try await pendingRequests(pending.filter { $0.targetId == groupId }))
    }
}
