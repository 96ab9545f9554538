import ParleyProtocol
import ParleyStore

extension Chat {
    /// Asks `body.userId` to be the caller's friend. Asking again while a request is pending
    /// returns that request; when the other user had already asked the caller, the two
    /// become friends at once.
    public func requestFriendship(_ body: FriendRequestBody, from caller: Caller) async throws -> RequestReceipt {
        let targetId = body.userId
        try requireIdentifier(targetId, named: "userId")
        let message = try boundedText(body.message ?? "", named: "message", max: limits.maxRequestMessageLength)
        if targetId == caller.userId { throw ChatError.badRequest("cannot befriend yourself") }
        guard try await profiles.user(targetId) != nil else { throw ChatError.notFound("user not found") }
        try await requireNoBlock(between: caller.userId, and: targetId)
        if try await store.areFriends(caller.userId, targetId) {
            throw ChatError(.conflict, "already friends")
        }
        if let pending = try await store.pendingRequest(kind: .friend, fromId: caller.userId, targetId: targetId) {
            return RequestReceipt(requestId: pending.id, status: pending.status.rawValue)
        }
        if let crossing = try await store.pendingRequest(kind: .friend, fromId: targetId, targetId: caller.userId) {
            return try await decideFriendRequest(crossing.id, accept: true, by: caller)
        }
        let request = RequestRecord(
            id: ids.next(), kind: .friend, fromId: caller.userId, targetId: targetId, message: message, createdAt: clock.now())
        let sender = try await profiles.user(caller.userId)
        let notice = Notice(
            type: NotificationType.friendRequest, title: "Friend request",
            content: "\(sender?.displayName ?? "Someone") wants to be your friend", actionType: "accept_reject",
            actionData: ["requestId": .string(request.id), "userId": .string(caller.userId), "message": .string(message)],
            priority: "high")
        do {
            await deliver(try await store.createRequest(request, notices: address(notice, to: [targetId])))
        } catch StoreError.duplicate {
            // A concurrent identical request won: answer with it.
            if let pending = try await store.pendingRequest(kind: .friend, fromId: caller.userId, targetId: targetId) {
                return RequestReceipt(requestId: pending.id, status: pending.status.rawValue)
            }
            throw ChatError(.conflict, "a request is pending")
        }
        return RequestReceipt(requestId: request.id, status: RequestStatus.pending.rawValue)
    }

    /// Accepts or rejects a friend request addressed to the caller.
    public func decideFriendRequest(_ requestId: String, accept: Bool, by caller: Caller) async throws -> RequestReceipt {
        try requireIdentifier(requestId, named: "requestId")
        guard let request = try await store.request(id: requestId), request.kind == .friend,
            request.targetId == caller.userId || request.fromId == caller.userId
        else {
            throw ChatError.notFound("friend request not found")
        }
        guard request.targetId == caller.userId else {
            throw ChatError.forbidden("only the user asked can answer a friend request")
        }
        guard request.status == .pending else {
            throw ChatError(.conflict, "this request was already \(request.status.rawValue)")
        }
        let requester = request.fromId
        var notices: [NewNotification]
        if accept {
            try await requireNoBlock(between: caller.userId, and: requester)
            // Each side is told who their new friend is.
            notices = address(acceptedNotice(request, friend: caller.userId), to: [requester])
            notices += address(acceptedNotice(request, friend: requester), to: [caller.userId])
        } else {
            notices = address(Notice(
                type: NotificationType.friendRejected, title: "Friend request declined",
                actionData: ["requestId": .string(request.id), "userId": .string(caller.userId)]), to: [requester])
        }
        guard let records = try await store.decideRequest(
            id: request.id, accept: accept, by: caller.userId, at: clock.now(), notices: notices, groupCapacity: limits.maxGroupSize)
        else {
            throw ChatError(.conflict, "this request was already decided")
        }
        await deliver(records)
        return RequestReceipt(requestId: request.id, status: accept ? "accepted" : "rejected")
    }

    private func acceptedNotice(_ request: RequestRecord, friend: String) -> Notice {
        Notice(
            type: NotificationType.friendAccepted, title: "New friend",
            actionType: "view", actionData: ["requestId": .string(request.id), "userId": .string(friend)])
    }

    /// The caller's pending friend requests, both ways.
    public func friendRequests(for caller: Caller) async throws -> FriendRequestList {
        let pending = try await store.pendingRequests(kind: .friend, involving: [caller.userId], limit: 500)
        let listed = try await pendingRequests(pending)
        return FriendRequestList(
            incoming: listed.filter { $0.targetId == caller.userId },
            outgoing: listed.filter { $0.userId == caller.userId })
    }

    /// Pending requests with the requesters' names.
    func pendingRequests(_ records: [RequestRecord]) async throws -> [PendingRequest] {
        let names = try await profiles.users(Set(records.map(\.fromId)))
        return records.map {
            PendingRequest(
                requestId: $0.id, userId: $0.fromId, displayName: names[$0.fromId]?.displayName, targetId: $0.targetId,
                message: $0.message, createdAt: $0.createdAt)
        }
    }

    /// Refuses when either user has blocked the other: `blocked` when the other side did,
    /// `forbidden` when the caller did (they must unblock first).
    func requireNoBlock(between callerId: String, and otherId: String) async throws {
        let blockers = try await store.blockers(between: callerId, and: otherId)
        if !blockers.isEmpty { throw blockedError(blockers, caller: callerId) }
    }

    /// What a caller is told when a block stands between them and another user.
    func blockedError(_ blockers: some Collection<String>, caller callerId: String) -> ChatError {
        blockers.contains(where: { $0 != callerId })
            ? ChatError(.blocked, "this user has blocked you")
            : ChatError.forbidden("you have blocked this user; unblock them first")
    }

    /// Text a user chose, checked against its bound (in characters).
    func boundedText(_ text: String, named name: String, max: Int) throws -> String {
        try UserText.text(text, named: name, max: max)
    }
}
