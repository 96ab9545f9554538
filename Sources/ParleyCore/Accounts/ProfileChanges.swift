import ParleyBus
import ParleyProtocol
import ParleyStore

extension Chat {
    /// Changes the caller's display name, avatar, `friendsOnly`, `groupAdds` or
    /// `presenceVisibility` setting.
    public func updateProfile(_ update: ProfileUpdate, of caller: Caller) async throws -> UserProfile {
        var change = ProfileChange(friendsOnly: update.friendsOnly)
        if let name = update.displayName { change.displayName = try Accounts.displayName(name) }
        if let avatar = update.avatar {
            change.avatar = .some(avatar.isEmpty ? nil : try UserText.webURL(avatar, named: "avatar"))
        }
        if let text = update.groupAdds {
            guard let value = GroupAdds(rawValue: text) else {
                throw ChatError.badRequest("'groupAdds' must be one of \(GroupAdds.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            change.groupAdds = value
        }
        if let text = update.presenceVisibility {
            guard let value = PresenceVisibility(rawValue: text) else {
                throw ChatError.badRequest(
                    "'presenceVisibility' must be one of \(PresenceVisibility.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            change.presenceVisibility = value
        }
        guard let user = try await store.updateProfile(userId: caller.userId, change) else {
            throw ChatError.notFound("user not found")
        }
        let shown = change.displayName != nil || change.avatar != nil
        // Every node's copy goes (this one's first, through the bus), then this node keeps the new one.
        if shown { await bus.publish(.profileChanged(userId: user.id)) }
        profiles.update(user)
        if shown { await tellFriends(about: user) }
        return ownProfile(user)
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

    /// A user's profile as they see it themselves: with their settings.
    func ownProfile(_ user: UserRecord) -> UserProfile {
        UserProfile(
            userId: user.id, username: user.username, displayName: user.displayName, avatar: user.avatar,
            createdAt: user.createdAt, friendsOnly: user.friendsOnly, groupAdds: effectiveGroupAdds(of: user).rawValue,
            presenceVisibility: user.presenceVisibility.rawValue)
    }

    /// The caller's own profile, settings included (`GET /v1/users/me`).
    public func ownProfile(of caller: Caller) async throws -> UserProfile {
        guard let user = try await store.user(id: caller.userId) else { throw ChatError.notFound("user not found") }
        return ownProfile(user)
    }
}
