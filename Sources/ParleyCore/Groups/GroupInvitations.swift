import ParleyProtocol
import ParleyStore

extension Chat {
    /// Splits users someone puts into a group into those their `groupAdds` setting lets in
    /// directly and those who must be asked. Read from the store, not the profile cache: a
    /// privacy setting changed on another node must hold at once.
    func admission(of userIds: [String], by adderId: String) async throws -> (direct: [String], invited: [String]) {
        if userIds.isEmpty { return ([], []) }
        let users = Dictionary(try await store.users(ids: userIds).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var friends: Set<String>?
        var direct: [String] = [], invited: [String] = []
        for id in userIds {
            guard let user = users[id] else { continue }
            switch effectiveGroupAdds(of: user) {
            case .everyone:
                direct.append(id)
            case .friends:
                if friends == nil { friends = Set(try await store.friends(of: adderId).map(\.userId)) }
                if friends!.contains(id) { direct.append(id) } else { invited.append(id) }
            case .nobody:
                invited.append(id)
            }
        }
        return (direct, invited)
    }

    /// A user's `groupAdds`, or its default: `friends` for someone who takes private messages
    /// from friends only (a group must not be a way around that), `everyone` otherwise.
    func effectiveGroupAdds(of user: UserRecord) -> GroupAdds {
        user.groupAdds ?? (user.friendsOnly || limits.friendsOnly ? .friends : .everyone)
    }

    /// Refuses with `rate_limited`, before anything changes, an inviter who would send more
    /// invitations than their allowance.
    func admitInvitations(_ count: Int, by inviterId: String) throws {
        guard count > 0 else { return }
        try invitations.admit(inviterId, now: clock.now(), cost: count)
    }

    /// Asks users into a group: a pending invitation each, and `group_invitation` to them.
    /// An invitation already pending is left as it is.
    func invite(_ userIds: [String], into group: GroupRecord, by inviterId: String) async throws {
        guard !userIds.isEmpty else { return }
        let inviterName = try await profiles.user(inviterId)?.displayName ?? "Someone"
        for userId in userIds {
            let invitation = RequestRecord(
                id: ids.next(), kind: .groupInvitation, fromId: userId, targetId: group.id, message: "", createdAt: clock.now(),
                inviterId: inviterId)
            let notice = Notice(
                type: NotificationType.groupInvitation, title: "Invitation to a group",
                content: "\(inviterName) invites you to \(group.name)", actionType: "accept_reject",
                actionData: [
                    "invitationId": .string(invitation.id), "groupId": .string(group.id),
                    "conversationId": .string(group.conversationId), "name": .string(group.name),
                    "inviterId": .string(inviterId),
                ],
                priority: "high")
            do {
                await deliver(try await store.createRequest(invitation, notices: address(notice, to: [userId])))
            } catch StoreError.duplicate {
                continue  // Pending already (the unique index on pending requests says so).
            }
        }
    }

    /// The caller's pending invitations, newest first.
    public func groupInvitations(for caller: Caller) async throws -> GroupInvitationList {
        let pending = try await store.pendingRequests(kind: .groupInvitation, involving: [caller.userId], limit: 500)
            .filter { $0.fromId == caller.userId }
        var groups: [String: GroupRecord] = [:]
        for request in pending where groups[request.targetId] == nil {
            groups[request.targetId] = try await store.group(id: request.targetId)
        }
        let names = try await profiles.users(Set(pending.compactMap(\.inviterId)))
        return GroupInvitationList(invitations: pending.compactMap { request in
            guard let group = groups[request.targetId], group.dismissedAt == nil, let inviter = request.inviterId else { return nil }
            return GroupInvitation(
                invitationId: request.id, groupId: group.id, name: group.name, inviterId: inviter,
                inviterName: names[inviter]?.displayName, createdAt: request.createdAt)
        })
    }

    /// Accepts or rejects an invitation addressed to the caller. Accepting joins the group
    /// (its members, the caller included, get `group_member_joined`), unless it is full.
    public func answerInvitation(_ invitationId: String, accept: Bool, by caller: Caller) async throws -> InvitationReceipt {
        try requireIdentifier(invitationId, named: "invitationId")
        guard let invitation = try await store.request(id: invitationId), invitation.kind == .groupInvitation,
            invitation.fromId == caller.userId
        else {
            throw ChatError.notFound("invitation not found")
        }
        let group = try await liveGroup(invitation.targetId)
        guard invitation.status == .pending else {
            throw ChatError(.conflict, "this invitation was already \(invitation.status.rawValue)")
        }
        var notices: [NewNotification] = []
        if accept {
            // The invitation holds only while its inviter could still make it: a member, and an
            // admin unless the group is open (an inviter kicked or demoted, or a group closed, ends it).
            let inviter = try await store.membership(conversationId: group.conversationId, userId: invitation.inviterId ?? "")
            guard let inviter, group.joinPolicy == .open || inviter.role >= .admin else {
                await dropRequest(invitation.id, by: caller.userId)
                throw ChatError.forbidden("whoever invited you can no longer add members to this group")
            }
            let members = try await store.memberIds(conversationId: group.conversationId)
            let notice = Notice(
                type: NotificationType.groupMemberJoined, title: "New member", content: group.name,
                actionData: [
                    "groupId": .string(group.id), "conversationId": .string(group.conversationId),
                    "userId": .string(caller.userId), "userIds": .strings([caller.userId]),
                    "invitationId": .string(invitation.id), "inviterId": invitation.inviterId.map(JSONValue.string) ?? .null,
                ])
            notices = address(notice, to: members + [caller.userId])
        }
        let records: [NotificationRecord]?
        do {
            records = try await store.decideRequest(
                id: invitation.id, accept: accept, by: caller.userId, at: clock.now(), notices: notices,
                groupCapacity: limits.maxGroupSize)
        } catch StoreError.full {
            throw groupIsFull
        } catch StoreError.notFound {
            throw ChatError.notFound("group not found")
        }
        guard let records else { throw ChatError(.conflict, "this invitation was already decided") }
        if accept { await membersChanged(group.conversationId) }
        await deliver(records)
        return InvitationReceipt(invitationId: invitation.id, status: accept ? "accepted" : "rejected", groupId: group.id)
    }
}
