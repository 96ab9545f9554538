import ParleyProtocol
import ParleyStore

/// A live group with the caller's place in it and everyone else's.
struct GroupView: Sendable {
    var group: GroupRecord
    var members: [MembershipRecord]
    var caller: MembershipRecord

    func member(_ userId: String) -> MembershipRecord? { members.first { $0.userId == userId } }
    var memberIds: [String] { members.map(\.userId) }
}

extension Array where Element == String {
    /// The distinct ids, in the order they first appear.
    var distinct: [String] {
        var seen = Set<String>()
        return filter { seen.insert($0).inserted }
    }
}

extension Chat {
    /// A group that exists and is not dismissed.
    func liveGroup(_ groupId: String) async throws -> GroupRecord {
        try requireIdentifier(groupId, named: "groupId")
        guard let group = try await store.group(id: groupId), group.dismissedAt == nil else {
            throw ChatError.notFound("group not found")
        }
        return group
    }

    /// The group as its member `caller` sees it; `forbidden` for anyone else.
    func groupView(_ groupId: String, for caller: Caller) async throws -> GroupView {
        let group = try await liveGroup(groupId)
        let members = try await store.members(conversationId: group.conversationId)
        guard let me = members.first(where: { $0.userId == caller.userId }) else {
            throw ChatError.forbidden("not a member of this group")
        }
        return GroupView(group: group, members: members, caller: me)
    }

    /// Refuses a caller whose role is below `role`.
    func requireRole(_ view: GroupView, atLeast role: GroupRole, to action: String) throws {
        guard view.caller.role >= role else {
            throw ChatError.forbidden("only the group's \(role == .owner ? "owner" : "owner or admins") may \(action)")
        }
    }

    /// A member other than the caller whom the caller outranks.
    func requireSubordinate(_ userId: String, in view: GroupView, to action: String) throws -> MembershipRecord {
        try requireIdentifier(userId, named: "userId")
        guard let target = view.member(userId) else { throw ChatError.notFound("user is not a member of this group") }
        if userId == view.caller.userId { throw ChatError.badRequest("cannot \(action) yourself") }
        guard view.caller.role > target.role else {
            throw ChatError.forbidden("cannot \(action) a member whose role is \(target.role.rawValue)")
        }
        return target
    }

    /// Users that must all exist, deduplicated in their order.
    func existingUsers(_ userIds: [String], named name: String) async throws -> [String] {
        let unique = userIds.distinct
        for id in unique { try requireIdentifier(id, named: name) }
        let found = try await profiles.users(Set(unique))
        if let missing = unique.first(where: { found[$0] == nil || found[$0]?.deletedAt != nil }) {
            throw ChatError.notFound("user '\(missing.prefix(64))' not found")
        }
        return unique
    }

    /// Refuses to put into a group anyone who has blocked the one adding them.
    func requireNotBlocked(adding userIds: [String], by caller: Caller) async throws {
        let blockers = Set(try await store.blockers(of: caller.userId))
        if let refusing = userIds.first(where: blockers.contains) {
            throw ChatError(.blocked, "user '\(refusing)' has blocked you")
        }
    }

    /// Applies a change to a group and delivers the notifications stored with it.
    func apply(_ change: GroupChange, to group: GroupRecord, notices: [NewNotification]) async throws {
        let records = try await store.changeGroup(id: group.id, change, at: clock.now(), notices: notices)
        await membersChanged(group.conversationId)
        await deliver(records)
    }

    /// What joining, adding to or accepting into a full group answers.
    var groupIsFull: ChatError { ChatError(.conflict, "a group has at most \(limits.maxGroupSize) members") }

    /// Ends a pending join request or invitation without telling anyone (a full group, an
    /// inviter who may no longer invite). Best effort: if it fails, the request stays pending.
    func dropRequest(_ id: String, by deciderId: String) async {
        _ = try? await store.decideRequest(
            id: id, accept: false, by: deciderId, at: clock.now(), notices: [], groupCapacity: limits.maxGroupSize)
    }

    func groupName(_ text: String) throws -> String {
        try UserText.name(text, named: "name", max: limits.maxGroupNameLength)
    }

    func joinPolicy(_ text: String) throws -> JoinPolicy {
        guard let policy = JoinPolicy(rawValue: text) else {
            throw ChatError.badRequest("'joinPolicy' must be one of \(JoinPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return policy
    }
}
