import ParleyProtocol
import ParleyStore

extension Chat {
    /// Creates a group owned by the caller with `memberIds` as members; each of them is told
    /// with `group_invite`. Those whose `groupAdds` setting does not let the caller add them get
    /// an invitation instead.
    public func createGroup(_ request: CreateGroup, by caller: Caller) async throws -> GroupCreated {
        let name = try groupName(request.name)
        let announcement = try boundedText(request.announcement ?? "", named: "announcement", max: limits.maxAnnouncementLength)
        let policy = try request.joinPolicy.map(joinPolicy) ?? .approval
        let candidates = try await existingUsers(request.memberIds ?? [], named: "memberIds").filter { $0 != caller.userId }
        if candidates.count + 1 > limits.maxGroupSize {
            throw ChatError.badRequest("a group has at most \(limits.maxGroupSize) members")
        }
        try await requireNotBlocked(adding: candidates, by: caller)
        let (memberIds, invited) = try await admission(of: candidates, by: caller.userId)
        try admitInvitations(invited.count, by: caller.userId)
        let now = clock.now()
        let group = GroupRecord(
            id: ids.next(), name: name, ownerId: caller.userId, announcement: announcement, joinPolicy: policy,
            createdAt: now, updatedAt: now)
        let notices = address(invitation(to: group, by: caller.userId), to: memberIds)
        let records = try await store.createGroup(group, memberIds: memberIds, notices: notices)
        await membersChanged(group.conversationId)
        await deliver(records)
        try await invite(invited, into: group, by: caller.userId)
        return GroupCreated(groupId: group.id, conversationId: group.conversationId, invited: invited)
    }

    func invitation(to group: GroupRecord, by inviterId: String) -> Notice {
        Notice(
            type: NotificationType.groupInvite, title: "Added to a group", content: group.name, actionType: "view",
            actionData: [
                "groupId": .string(group.id), "conversationId": .string(group.conversationId),
                "name": .string(group.name), "userId": .string(inviterId),
            ])
    }

    /// The group, its settings and members, for a member.
    public func groupInfo(_ groupId: String, for caller: Caller) async throws -> GroupInfo {
        let view = try await groupView(groupId, for: caller)
        let names = try await profiles.users(Set(view.memberIds))
        let group = view.group
        return GroupInfo(
            groupId: group.id, conversationId: group.conversationId, name: group.name, ownerId: group.ownerId,
            announcement: group.announcement, muteAll: group.muteAll, joinPolicy: group.joinPolicy.rawValue,
            memberCount: view.members.count, createdAt: group.createdAt,
            members: view.members.map {
                GroupMember(
                    userId: $0.userId, role: $0.role.rawValue, displayName: names[$0.userId]?.displayName,
                    mutedUntil: $0.mutedUntil > clock.now() ? $0.mutedUntil : 0, joinedAt: $0.joinedAt)
            })
    }

    /// Ends the group (owner only): every member is told with `group_dismissed` and leaves.
    public func dismissGroup(_ groupId: String, by caller: Caller) async throws {
        let view = try await groupView(groupId, for: caller)
        try requireRole(view, atLeast: .owner, to: "dismiss the group")
        let notice = Notice(
            type: NotificationType.groupDismissed, title: "Group dismissed", content: view.group.name,
            actionData: ["groupId": .string(groupId), "userId": .string(caller.userId)])
        try await apply(.dismiss, to: view.group, notices: address(notice, to: view.memberIds))
    }
}
