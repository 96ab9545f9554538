import ParleyProtocol
import ParleyStore

extension Chat {
    /// Changes the group's name, announcement, mute-all or join policy (owner and admins).
    /// Members are told with `group_info_updated`, `group_announcement` and `group_muted`.
    public func updateGroup(_ groupId: String, _ update: GroupUpdate, by caller: Caller) async throws -> GroupInfo {
        let view = try await groupView(groupId, for: caller)
        try requireRole(view, atLeast: .admin, to: "change the group")
        let name = try update.name.map(groupName)
        let announcement = try update.announcement.map { try boundedText($0, named: "announcement", max: limits.maxAnnouncementLength) }
        let policy = try update.joinPolicy.map(joinPolicy)
        if name == nil, announcement == nil, update.muteAll == nil, policy == nil {
            throw ChatError.badRequest("give at least one of 'name', 'announcement', 'muteAll', 'joinPolicy'")
        }
        let group = view.group
        let by: [String: JSONValue] = ["groupId": .string(groupId), "userId": .string(caller.userId)]
        var notices: [Notice] = []
        if name != nil || policy != nil {
            notices.append(Notice(
                type: NotificationType.groupInfoUpdated, title: "Group updated", content: name ?? group.name,
                actionData: by.merging([
                    "name": .string(name ?? group.name), "joinPolicy": .string((policy ?? group.joinPolicy).rawValue),
                ]) { $1 }))
        }
        if let announcement {
            notices.append(Notice(
                type: NotificationType.groupAnnouncement, title: "Announcement", content: announcement,
                actionType: "view", actionData: by.merging(["announcement": .string(announcement)]) { $1 }, priority: "high"))
        }
        if let muteAll = update.muteAll {
            notices.append(Notice(
                type: NotificationType.groupMuted, title: muteAll ? "Group muted" : "Group unmuted", content: group.name,
                actionData: by.merging(["muteAll": .bool(muteAll)]) { $1 }))
        }
        let change = GroupChange.updateInfo(name: name, announcement: announcement, muteAll: update.muteAll, joinPolicy: policy)
        try await apply(change, to: group, notices: notices.flatMap { address($0, to: view.memberIds) })
        return try await groupInfo(groupId, for: caller)
    }

    /// Makes a member an admin or a plain member again (owner only); `group_role_changed`.
    public func assignRole(_ role: String, to userId: String, in groupId: String, by caller: Caller) async throws {
        let view = try await groupView(groupId, for: caller)
        try requireRole(view, atLeast: .owner, to: "change roles")
        guard let newRole = GroupRole(rawValue: role), newRole != .owner else {
            throw ChatError.badRequest("'role' must be 'admin' or 'member' (ownership moves by transfer)")
        }
        try requireIdentifier(userId, named: "userId")
        guard let target = view.member(userId) else { throw ChatError.notFound("user is not a member of this group") }
        if target.role == .owner { throw ChatError.badRequest("the owner's role changes only by transfer") }
        let notice = Notice(
            type: NotificationType.groupRoleChanged, title: "Role changed", content: view.group.name,
            actionData: [
                "groupId": .string(groupId), "userId": .string(userId), "role": .string(newRole.rawValue),
                "changedBy": .string(caller.userId),
            ])
        try await apply(.setRole(userId: userId, role: newRole), to: view.group, notices: address(notice, to: view.memberIds))
    }

    /// Mutes a member until a time, or unmutes with `until` 0 (owner, and admins for plain
    /// members); `group_muted` with `{groupId, userId, until}`.
    public func muteMember(_ userId: String, in groupId: String, until: Int64, by caller: Caller) async throws {
        let view = try await groupView(groupId, for: caller)
        try requireRole(view, atLeast: .admin, to: "mute members")
        _ = try requireSubordinate(userId, in: view, to: "mute")
        if until != 0, until <= clock.now() {
            throw ChatError.badRequest("'until' must be in the future (epoch ms)")
        }
        let notice = Notice(
            type: NotificationType.groupMuted, title: until == 0 ? "Member unmuted" : "Member muted", content: view.group.name,
            actionData: [
                "groupId": .string(groupId), "userId": .string(userId), "until": .integer(until),
                "mutedBy": .string(caller.userId),
            ])
        try await apply(.muteMember(userId: userId, until: until), to: view.group, notices: address(notice, to: view.memberIds))
    }

    /// Hands the group to another member (owner only); the old owner becomes an admin.
    /// `group_owner_changed` with `{groupId, userId: new owner, previousOwnerId}`.
    public func transferGroup(_ groupId: String, to userId: String, by caller: Caller) async throws {
        let view = try await groupView(groupId, for: caller)
        try requireRole(view, atLeast: .owner, to: "transfer the group")
        try requireIdentifier(userId, named: "userId")
        if userId == caller.userId { throw ChatError.badRequest("you own this group already") }
        guard view.member(userId) != nil else { throw ChatError.notFound("user is not a member of this group") }
        if try await store.user(id: userId)?.deletedAt != nil { throw ChatError.notFound("user is not a member of this group") }
        let notice = Notice(
            type: NotificationType.groupOwnerChanged, title: "New owner", content: view.group.name,
            actionData: ["groupId": .string(groupId), "userId": .string(userId), "previousOwnerId": .string(caller.userId)])
        try await apply(
            .transferOwnership(from: caller.userId, to: userId), to: view.group, notices: address(notice, to: view.memberIds))
    }
}
