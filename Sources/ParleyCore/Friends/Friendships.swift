import ParleyProtocol
import ParleyStore

extension Chat {
    /// The caller's friends with their profiles.
    public func friends(of caller: Caller) async throws -> FriendList {
        FriendList(friends: try await contacts(try await store.friends(of: caller.userId).map { ($0.userId, $0.since) }))
    }

    /// Ends a friendship; both users are told with `friend_deleted` (`userId`: the other one).
    public func unfriend(_ friendId: String, by caller: Caller) async throws {
        try requireIdentifier(friendId, named: "userId")
        let notice = { (other: String) in
            Notice(type: NotificationType.friendDeleted, title: "Friend removed", actionData: ["userId": .string(other)])
        }
        let notices = address(notice(caller.userId), to: [friendId]) + address(notice(friendId), to: [caller.userId])
        guard let records = try await store.removeFriendship(caller.userId, friendId, notices: notices) else {
            throw ChatError.notFound("not friends with this user")
        }
        await deliver(records)
    }

    /// Blocks a user: they can no longer message the caller privately, befriend them or see
    /// their presence. Blocking twice is harmless.
    public func block(_ targetId: String, by caller: Caller) async throws {
        try requireIdentifier(targetId, named: "userId")
        if targetId == caller.userId { throw ChatError.badRequest("cannot block yourself") }
        guard try await profiles.user(targetId) != nil else { throw ChatError.notFound("user not found") }
        _ = try await store.setBlock(userId: caller.userId, targetId: targetId, blocked: true, at: clock.now())
    }

    public func unblock(_ targetId: String, by caller: Caller) async throws {
        try requireIdentifier(targetId, named: "userId")
        guard try await store.setBlock(userId: caller.userId, targetId: targetId, blocked: false, at: clock.now()) else {
            throw ChatError.notFound("this user is not blocked")
        }
    }

    public func blocks(of caller: Caller) async throws -> BlockList {
        BlockList(blocks: try await contacts(try await store.blocks(of: caller.userId).map { ($0.userId, $0.since) }))
    }

    private func contacts(_ entries: [(userId: String, since: Int64)]) async throws -> [Contact] {
        let users = try await profiles.users(Set(entries.map(\.userId)))
        return entries.compactMap { entry in
            users[entry.userId].map {
                Contact(userId: $0.id, username: $0.username, displayName: $0.displayName, avatar: $0.avatar, since: entry.since)
            }
        }
    }
}
