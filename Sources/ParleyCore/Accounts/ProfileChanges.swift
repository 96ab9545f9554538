import ParleyProtocol
import ParleyStore

extension Chat {
    /// Changes the caller's display name, avatar or `friendsOnly` setting.
    public func updateProfile(_ update: ProfileUpdate, of caller: Caller) async throws -> UserProfile {
        var change = ProfileChange(friendsOnly: update.friendsOnly)
        if let name = update.displayName { change.displayName = try Accounts.displayName(name) }
        if let avatar = update.avatar {
            change.avatar = .some(avatar.isEmpty ? nil : try boundedText(avatar, named: "avatar", max: 2_048))
        }
        guard let user = try await store.updateProfile(userId: caller.userId, change) else {
            throw ChatError.notFound("user not found")
        }
        profiles.update(user)
        if change.displayName != nil || change.avatar != nil {
            await tellFriends(about: user)
        }
        return UserProfile(
            userId: user.id, username: user.username, displayName: user.displayName, avatar: user.avatar,
            createdAt: user.createdAt, friendsOnly: user.friendsOnly)
    }

    /// `friend_updated` to the user's friends, so their lists show the new name and avatar.
    private func tellFriends(about user: UserRecord) async {
        do {
            let friends = try await store.friends(of: user.id).map(\.userId)
            guard !friends.isEmpty else { return }
            let notice = Notice(
                type: NotificationType.friendUpdated, title: "Profile updated", content: user.displayName,
                actionData: [
                    "userId": .string(user.id), "displayName": .string(user.displayName),
                    "avatar": user.avatar.map(JSONValue.string) ?? .null,
                ],
                priority: "low")
            await deliver(try await store.appendNotifications(address(notice, to: friends)))
        } catch {
            logger.warning("friends not told of a profile change", metadata: ["user": "\(user.id)", "error": "\(error)"])
        }
    }
}
