import Foundation
import ParleyProtocol

/// `{"status": "ok"}`, the answer of changes with nothing else to say.
struct StatusReply: Decodable, Sendable {
    var status: String
}

/// Friends, blocks, groups, presence and conversation settings, over HTTP (see docs/protocol.md).
/// Changes made elsewhere arrive as `ClientEvent.notification`.
extension ParleyClient {
    private func call<Response: Decodable>(
        _ method: String, _ path: String, query: [URLQueryItem] = [],
        body: (some Encodable & Sendable)? = Optional<EmptyPayload>.none, as type: Response.Type
    ) async throws -> Response {
        try await http.call(method, path, query: query, body: body, token: try await accessToken(), as: type)
    }

    private func change(_ method: String, _ path: String, body: (some Encodable & Sendable)? = Optional<EmptyPayload>.none) async throws {
        _ = try await call(method, path, body: body, as: StatusReply.self)
    }

    // MARK: Friends and blocks

    /// Asks a user to be friends; `status` is `accepted` at once if they had asked first.
    public func requestFriendship(with userId: String, message: String = "") async throws -> RequestReceipt {
        try await call("POST", "v1/friends/requests", body: FriendRequestBody(userId: userId, message: message), as: RequestReceipt.self)
    }

    public func answerFriendRequest(_ requestId: String, accept: Bool) async throws -> RequestReceipt {
        try await call("POST", "v1/friends/requests/\(requestId)/\(accept ? "accept" : "reject")", as: RequestReceipt.self)
    }

    public func friendRequests() async throws -> FriendRequestList {
        try await call("GET", "v1/friends/requests", as: FriendRequestList.self)
    }

    public func friends() async throws -> [Contact] {
        try await call("GET", "v1/friends", as: FriendList.self).friends
    }

    public func removeFriend(_ userId: String) async throws {
        try await change("DELETE", "v1/friends/\(userId)")
    }

    public func block(_ userId: String) async throws {
        try await change("POST", "v1/blocks", body: BlockBody(userId: userId))
    }

    public func unblock(_ userId: String) async throws {
        try await change("DELETE", "v1/blocks/\(userId)")
    }

    public func updateProfile(_ update: ProfileUpdate) async throws -> UserProfile {
        try await call("PATCH", "v1/users/me", body: update, as: UserProfile.self)
    }

    /// This user's profile with their settings (`friendsOnly`, `groupAdds`, `presenceVisibility`).
    public func ownProfile() async throws -> UserProfile {
        try await call("GET", "v1/users/me", as: UserProfile.self)
    }

    /// Deletes this account (the server keeps the messages it sent, anonymised); the client is
    /// signed out by the server's `kicked` (`account_deleted`) and should be stopped.
    public func deleteAccount(password: String) async throws {
        struct Body: Encodable, Sendable { var password: String }
        try await change("DELETE", "v1/users/me", body: Body(password: password))
    }

    // MARK: Groups

    public func createGroup(_ request: CreateGroup) async throws -> GroupCreated {
        try await call("POST", "v1/groups", body: request, as: GroupCreated.self)
    }

    public func group(_ groupId: String) async throws -> GroupInfo {
        try await call("GET", "v1/groups/\(groupId)", as: GroupInfo.self)
    }

    public func updateGroup(_ groupId: String, _ update: GroupUpdate) async throws -> GroupInfo {
        try await call("PATCH", "v1/groups/\(groupId)", body: update, as: GroupInfo.self)
    }

    public func invite(_ userIds: [String], to groupId: String) async throws -> MembersAdded {
        try await call("POST", "v1/groups/\(groupId)/members", body: InviteMembers(userIds: userIds), as: MembersAdded.self)
    }

    /// This user's pending invitations into groups (from people their `groupAdds` setting does
    /// not let add them directly).
    public func groupInvitations() async throws -> [GroupInvitation] {
        try await call("GET", "v1/group-invitations", as: GroupInvitationList.self).invitations
    }

    /// Accepts (joins the group) or rejects an invitation.
    public func answerInvitation(_ invitationId: String, accept: Bool) async throws -> InvitationReceipt {
        try await call("POST", "v1/group-invitations/\(invitationId)/\(accept ? "accept" : "reject")", as: InvitationReceipt.self)
    }

    /// Removes a member; with this user's own id, leaves the group.
    public func removeMember(_ userId: String, from groupId: String) async throws {
        try await change("DELETE", "v1/groups/\(groupId)/members/\(userId)")
    }

    public func requestToJoin(_ groupId: String, message: String = "") async throws -> RequestReceipt {
        try await call("POST", "v1/groups/\(groupId)/join-requests", body: JoinRequestBody(message: message), as: RequestReceipt.self)
    }

    public func answerJoinRequest(_ requestId: String, of groupId: String, accept: Bool) async throws -> RequestReceipt {
        try await call(
            "POST", "v1/groups/\(groupId)/join-requests/\(requestId)/\(accept ? "accept" : "reject")", as: RequestReceipt.self)
    }

    public func setRole(_ role: String, of userId: String, in groupId: String) async throws {
        try await change("PUT", "v1/groups/\(groupId)/roles/\(userId)", body: RoleAssignment(role: role))
    }

    /// Mutes a member until `until` (epoch ms), or unmutes with nil.
    public func mute(_ userId: String, in groupId: String, until: Int64?) async throws {
        if let until {
            try await change("PUT", "v1/groups/\(groupId)/mutes/\(userId)", body: MemberMute(until: until))
        } else {
            try await change("DELETE", "v1/groups/\(groupId)/mutes/\(userId)")
        }
    }

    public func transferGroup(_ groupId: String, to userId: String) async throws {
        try await change("POST", "v1/groups/\(groupId)/transfer", body: OwnershipTransfer(userId: userId))
    }

    public func dismissGroup(_ groupId: String) async throws {
        try await change("DELETE", "v1/groups/\(groupId)")
    }

    /// Sends a text to a group.
    public func send(text: String, toGroup groupId: String, mentioning atUsers: [String] = [], localId: String = UUID().uuidString) async throws -> SendAck {
        try await send(SendMessage(
            conversationType: .group, groupId: groupId, contentType: "text", content: .object(["text": .string(text)]),
            localId: localId, atUsers: atUsers))
    }

    // MARK: Conversations and presence

    /// Pins, mutes or hides a conversation for this user.
    public func updateConversation(_ conversationId: String, _ settings: ConversationSettings) async throws -> ConversationSettings {
        try await call("PATCH", "v1/conversations/\(conversationId)", body: settings, as: ConversationSettings.self)
    }

    public func presence(of userIds: [String]) async throws -> [UserPresence] {
        try await call(
            "GET", "v1/presence", query: [URLQueryItem(name: "userIds", value: userIds.joined(separator: ","))],
            as: PresenceList.self
        ).presence
    }

    /// Tells friends whether this device is in use (`online`) or not (`away`).
    public func setPresence(_ status: PresenceStatus) async throws {
        _ = try await request("presence", PresenceUpdate(status: status))
    }
}

/// Offline push: this device's token and the user's push settings (see docs/protocol.md).
extension ParleyClient {
    /// Registers this device's token (an APNs or FCM token, an e-mail address for `email`);
    /// registering the same token again updates it. It ends with this login (logout).
    public func registerPushToken(
        provider: String, token: String, deviceId: String? = nil, sandbox: Bool? = nil
    ) async throws -> PushTokenRegistered {
        try await http.call(
            "POST", "v1/push/tokens",
            body: PushTokenRegistration(provider: provider, token: token, deviceId: deviceId ?? configuration.deviceId, sandbox: sandbox),
            token: try await accessToken(), as: PushTokenRegistered.self)
    }

    public func pushTokens() async throws -> [PushTokenInfo] {
        try await http.call("GET", "v1/push/tokens", token: try await accessToken(), as: PushTokenList.self).tokens
    }

    public func deletePushToken(_ tokenId: String) async throws {
        _ = try await http.call("DELETE", "v1/push/tokens/\(tokenId)", token: try await accessToken(), as: StatusReply.self)
    }

    public func pushSettings() async throws -> PushSettings {
        try await http.call("GET", "v1/push/settings", token: try await accessToken(), as: PushSettings.self)
    }

    public func updatePushSettings(_ update: PushSettingsUpdate) async throws -> PushSettings {
        try await http.call("PATCH", "v1/push/settings", body: update, token: try await accessToken(), as: PushSettings.self)
    }

    /// This user's pushes, newest first: what was sent, skipped (and why) or failed, per device.
    public func pushLog(limit: Int = 50) async throws -> [PushLogEntry] {
        try await call("GET", "v1/push/log", query: [URLQueryItem(name: "limit", value: String(limit))], as: PushLog.self).entries
    }
}
