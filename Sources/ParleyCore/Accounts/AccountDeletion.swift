import ParleyBus
import ParleyProtocol
import ParleyStore

extension Chat {
    /// Takes a user out of every group before their account goes: an owner hands the group to
    /// an admin (the longest-standing one), else to the longest-standing member; a group with
    /// nobody else in it is dismissed. The members are told as for any transfer or leave.
    public func leaveEveryGroup(of userId: String) async throws {
        let caller = Caller(userId: userId)
        for membership in try await store.memberships(userId: userId) where ConversationID.type(of: membership.conversationId) == .group {
            let groupId = String(membership.conversationId.dropFirst(2))
            let view: GroupView
            do {
                view = try await groupView(groupId, for: caller)
            } catch let error as ChatError where error.code == .notFound || error.code == .forbidden {
                continue  // dismissed, or left, meanwhile
            }
            if view.caller.role == .owner {
                let others = view.members.filter { $0.userId != userId }.sorted { ($0.joinedAt, $0.userId) < ($1.joinedAt, $1.userId) }
                guard let successor = others.first(where: { $0.role == .admin }) ?? others.first else {
                    try await dismissGroup(groupId, by: caller)
                    continue
                }
                try await transferGroup(groupId, to: successor.userId, by: caller)
            }
            try await removeMember(userId, from: groupId, by: caller)
        }
    }

    /// Every node forgets a user's cached profile after their account changed (deleted,
    /// anonymised), so their messages show the new name everywhere.
    public func refreshProfile(_ userId: String) async throws {
        await bus.publish(.profileChanged(userId: userId))
    }
}

extension Accounts {
    /// What a deleted user is shown as next to the messages they sent.
    public static let deletedUserName = "Deleted user"

    /// Deletes the caller's account (after `confirmPassword` and `Chat.leaveEveryGroup`): the
    /// record stays, anonymised (`deleted-<id>`, "Deleted user", no avatar, no usable password),
    /// so the messages they sent still have a sender; every login ends and every device is
    /// kicked with `account_deleted`; friendships, blocks and pending requests go. The username
    /// is free to be registered again.
    public func deleteAccount(of user: UserRecord) async throws {
        let anonymised = DeletedAccount(
            // `~` is not allowed in usernames: nobody can register this name first and make the
            // deletion fail on the unique index.
            username: "~deleted-" + user.id, displayName: Self.deletedUserName,
            // Not a bcrypt hash: no password verifies against it.
            passwordHash: "!deleted")
        try await store.deleteAccount(userId: user.id, anonymised: anonymised, at: clock.now())
        await bus.publish(.disconnect(Disconnect(
            userId: user.id, finalFrame: frames.kicked(reason: "account_deleted", message: "This account was deleted."),
            closeCode: CloseCodes.kicked, reason: "account_deleted")))
    }
}
