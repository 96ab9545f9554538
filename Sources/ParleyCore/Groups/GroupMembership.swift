import ParleyProtocol
import ParleyStore

extension Chat {
    /// Most user ids one group notification lists.
    static let namedInNotices = 50

    /// Adds users to a group. Admins may always invite; plain members only when the group is
    /// `open`. Users whose `groupAdds` setting does not let the caller add them are asked
    /// instead (`group_invitation`, see `answerInvitation`). The new members get `group_invite`;
    /// the others `group_member_joined`.
    public func invite(_ request: InviteMembers, to groupId: String, by caller: Caller) async throws -> MembersAdded {
        let view = try await groupView(groupId, for: caller)
        if view.group.joinPolicy != .open {
            try requireRole(view, atLeast: .admin, to: "invite to a group that is not open")
        }
        if request.userIds.isEmpty { throw ChatError.badRequest("'userIds' must not be empty") }
        let current = Set(view.memberIds)
        let candidates = try await existingUsers(request.userIds, named: "userIds").filter { !current.contains($0) }
        if candidates.isEmpty { return MembersAdded(groupId: groupId, added: []) }
        if current.count + candidates.count > limits.maxGroupSize {
            throw groupIsFull
        }
        try await requireNotBlocked(adding: candidates, by: caller)
        let (added, invited) = try await admission(of: candidates, by: caller.userId)
        try admitInvitations(invited.count, by: caller.userId)
        try await invite(invited, into: view.group, by: caller.userId)
        if added.isEmpty { return MembersAdded(groupId: groupId, added: [], invited: invited) }
        let joined = Notice(
            type: NotificationType.groupMemberJoined, title: "New members", content: view.group.name,
            actionData: [
                "groupId": .string(groupId), "userId": .string(added[0]),
                // Every member gets this: a large invitation names its first members only.
                "userIds": .strings(Array(added.prefix(Self.namedInNotices))), "count": .integer(Int64(added.count)),
                "inviterId": .string(caller.userId),
            ])
        let notices = address(invitation(to: view.group, by: caller.userId), to: added) + address(joined, to: view.memberIds)
        do {
            try await apply(.addMembers(added, capacity: limits.maxGroupSize), to: view.group, notices: notices)
        } catch StoreError.full {
            throw groupIsFull
        }
        return MembersAdded(groupId: groupId, added: added, invited: invited)
    }

    /// Removes a member: leaving when it is the caller (`group_member_left`), kicking otherwise
    /// (`group_member_removed`; the owner may remove anyone, admins plain members). Everyone who
    /// was a member, the one removed included, is told.
    public func removeMember(_ userId: String, from groupId: String, by caller: Caller) async throws {
        let view = try await groupView(groupId, for: caller)
        let notice: Notice
        if userId == caller.userId {
            if view.caller.role == .owner {
                throw ChatError.forbidden("the owner cannot leave; transfer ownership or dismiss the group")
            }
            notice = Notice(
                type: NotificationType.groupMemberLeft, title: "Member left", content: view.group.name,
                actionData: ["groupId": .string(groupId), "userId": .string(userId)])
        } else {
            try requireRole(view, atLeast: .admin, to: "remove members")
            _ = try requireSubordinate(userId, in: view, to: "remove")
            notice = Notice(
                type: NotificationType.groupMemberRemoved, title: "Member removed", content: view.group.name,
                actionData: ["groupId": .string(groupId), "userId": .string(userId), "removedBy": .string(caller.userId)])
        }
        try await apply(.removeMember(userId), to: view.group, notices: address(notice, to: view.memberIds))
    }
}
