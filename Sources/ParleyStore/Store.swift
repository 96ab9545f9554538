/// Everything Parley keeps durably, behind one interface so engines can be swapped
/// (SQLite embedded, PostgreSQL in a cluster) without touching the domain.
///
/// Each mutating call is atomic: it commits as a whole or not at all, and returns only
/// after its commit is durable. Implementations may commit many concurrent calls in one
/// transaction (group commit).
public protocol Store: Sendable {
    // MARK: Accounts

    /// Creates a user. Throws `StoreError.duplicate` when the username is taken.
    func createUser(_ user: UserRecord) async throws
    func user(id: String) async throws -> UserRecord?
    func user(username: String) async throws -> UserRecord?
    func users(ids: [String]) async throws -> [UserRecord]
    /// Applies a change to a user's profile and settings; nil if there is no such user.
    func updateProfile(userId: String, _ change: ProfileChange) async throws -> UserRecord?
    /// Records when the user's last device went offline.
    func setLastSeen(userId: String, at: Int64) async throws
    /// Bans (a time) or unbans (nil) a user; false if there is no such user.
    func setBanned(userId: String, at: Int64?) async throws -> Bool
    func updatePasswordHash(userId: String, hash: String) async throws
    /// User ids in ascending order after `after` ("" from the start), at most `limit`.
    func userIds(after: String, limit: Int) async throws -> [String]

    /// Deletes an account in one transaction: the user record stays for their messages, with
    /// `change` applied (anonymised) and `deletedAt` set; every login is revoked; friendships,
    /// blocks both ways, pending requests and push tokens go. Memberships stay (private chats keep their two
    /// members; groups are left by the caller, as ownership must pass first).
    func deleteAccount(userId: String, anonymised change: DeletedAccount, at: Int64) async throws

    /// The conversations the user is a member of (private and group).
    func memberships(userId: String) async throws -> [MembershipRecord]

    // MARK: Auth sessions (one per login; each holds the current refresh token)

    func createAuthSession(_ session: AuthSessionRecord) async throws
    func authSession(id: String) async throws -> AuthSessionRecord?
    /// Replaces the session's refresh token if `currentHash` is still the current one, and
    /// remembers the replaced one. Otherwise changes nothing and says whether `currentHash` was
    /// one of the session's earlier tokens (`reused`) or never its token (`unknown`).
    func rotateRefreshToken(sessionId: String, currentHash: String, newHash: String, expiresAt: Int64) async throws -> RefreshRotation
    /// Marks the session revoked; its tokens stop working.
    func revokeAuthSession(id: String, at: Int64) async throws
    /// Revokes every login of a user.
    func revokeAuthSessions(userId: String, at: Int64) async throws

    // MARK: Messages

    /// Assigns the next `seq` of the conversation and stores the message in one transaction,
    /// creating a private conversation and its two members on first use. A message whose
    /// (sender, localId) exists already is not stored again: the original is returned with
    /// `duplicate == true`.
    func appendMessage(_ message: NewMessage) async throws -> AppendOutcome
    /// Marks a message recalled (content removed) and appends the recall event with the
    /// conversation's next `seq`, in one transaction. Recalling twice returns the first recall.
    func recallMessage(_ recall: NewRecall) async throws -> RecallOutcome
    func message(id: String) async throws -> MessageRecord?
    /// Messages by id (those that exist), in no particular order.
    func messages(ids: [String]) async throws -> [MessageRecord]
    /// Replaces a message's content (the old one joins its edit history) and appends the edit
    /// event with the conversation's next seq, in one transaction.
    func editMessage(_ edit: NewEdit) async throws -> EditOutcome
    /// A message's earlier contents, oldest first.
    func edits(messageId: String) async throws -> [EditRecord]
    /// Hides messages from one user (delete for me), with the notices; repeated ids are ignored.
    func hideMessages(userId: String, conversationId: String, messageIds: [String], at: Int64, notices: [NewNotification]) async throws -> [NotificationRecord]
    /// Which of `messageIds` the user has hidden.
    func hiddenMessageIds(userId: String, among messageIds: [String]) async throws -> Set<String>
    /// Adds or removes a reaction; false when nothing changed.
    func setReaction(_ reaction: ReactionRecord, conversationId: String, add: Bool, at: Int64) async throws -> Bool
    /// The reactions on messages.
    func reactions(messageIds: [String]) async throws -> [ReactionRecord]
    /// Messages of the user's conversations containing the text, newest first, neither recalled
    /// nor hidden from the user.
    func searchMessages(_ search: MessageSearch) async throws -> [SearchHit]
    /// Users whose username or display name contains the text.
    func searchUsers(_ text: String, limit: Int) async throws -> [UserRecord]
    /// Live groups whose name contains the text, with their member counts.
    func searchGroups(_ text: String, limit: Int) async throws -> [(group: GroupRecord, members: Int)]
    /// The distinct senders of the messages (not events) with seq in (`after`, `upTo`].
    func senders(conversationId: String, after: Int64, upTo: Int64) async throws -> [String]
    /// A page of a conversation in ascending `seq` order.
    func messages(conversationId: String, page: HistoryPage) async throws -> MessagePage

    // MARK: Conversations and members

    func conversation(id: String) async throws -> ConversationRecord?
    func membership(conversationId: String, userId: String) async throws -> MembershipRecord?
    func memberIds(conversationId: String) async throws -> [String]
    /// Every member of a conversation, with cursors, settings and roles.
    func members(conversationId: String) async throws -> [MembershipRecord]
    /// Changes a member's own settings (pin, do-not-disturb, hidden); nil if not a member.
    func updateSettings(conversationId: String, userId: String, _ change: ConversationSettingsChange) async throws -> MembershipRecord?
    /// Moves a member's cursor forward to `seq` (never back, never past the conversation's
    /// last seq). A read cursor also moves the delivered cursor.
    func advanceCursor(conversationId: String, userId: String, kind: CursorKind, to seq: Int64) async throws -> CursorAdvance
    /// The user's conversations whose state changed after `version`, oldest change first.
    func conversationsChanged(userId: String, after version: Int64, limit: Int) async throws -> ConversationPage
    /// The user's conversations, pinned first, then by last activity.
    func conversationList(userId: String, limit: Int) async throws -> [ConversationState]

    // MARK: Friends, blocks and requests
    //
    // Mutations take the notifications they cause (`notices`) and store them in the same
    // transaction, each with its user's next inbox seq, so a change is never without its news.

    /// Stores a pending request. Throws `StoreError.duplicate` if the same one is pending.
    func createRequest(_ request: RequestRecord, notices: [NewNotification]) async throws -> [NotificationRecord]
    func request(id: String) async throws -> RequestRecord?
    func pendingRequest(kind: RequestKind, fromId: String, targetId: String) async throws -> RequestRecord?
    /// Pending requests of a kind sent by or to any of `ids`, newest first.
    func pendingRequests(kind: RequestKind, involving ids: [String], limit: Int) async throws -> [RequestRecord]
    /// Decides a pending request and applies an acceptance (the two users become friends, or
    /// the requester joins the group). Nil, and nothing changed, when it is no longer pending.
    /// Joining a group that has `groupCapacity` members already throws `StoreError.full`.
    func decideRequest(
        id: String, accept: Bool, by deciderId: String, at: Int64, notices: [NewNotification], groupCapacity: Int
    ) async throws -> [NotificationRecord]?
    func friends(of userId: String) async throws -> [FriendRecord]
    func areFriends(_ a: String, _ b: String) async throws -> Bool
    /// Ends a friendship; nil if they were not friends.
    func removeFriendship(_ a: String, _ b: String, notices: [NewNotification]) async throws -> [NotificationRecord]?
    /// Blocks or unblocks `targetId` for `userId`; false when nothing changed.
    func setBlock(userId: String, targetId: String, blocked: Bool, at: Int64) async throws -> Bool
    func blocks(of userId: String) async throws -> [BlockRecord]
    /// The users who have blocked `userId`.
    func blockers(of userId: String) async throws -> [String]
    /// Which of the two users has blocked the other (empty, one or both).
    func blockers(between a: String, and b: String) async throws -> Set<String>

    // MARK: Groups

    /// Creates a group, its conversation, and its members (the owner and `memberIds`).
    func createGroup(_ group: GroupRecord, memberIds: [String], notices: [NewNotification]) async throws -> [NotificationRecord]
    /// A group, dismissed or not; nil if it never existed.
    func group(id: String) async throws -> GroupRecord?
    /// Applies one change to a live group. Throws `StoreError.notFound` if the group is gone.
    func changeGroup(id: String, _ change: GroupChange, at: Int64, notices: [NewNotification]) async throws -> [NotificationRecord]

    // MARK: Notification inbox

    /// Appends notifications, each with its user's next inbox `seq`.
    func appendNotifications(_ notifications: [NewNotification]) async throws -> [NotificationRecord]
    /// Notifications after `seq`, ascending, at most `limit`; and the user's latest inbox seq.
    func notifications(userId: String, after seq: Int64, limit: Int) async throws -> NotificationPage

    // MARK: Push tokens and settings

    /// Stores a device's push token. A token is one row per (provider, token): registering it
    /// again updates it in place (same id), and one registered by another user moves to this
    /// one (a phone that changed hands). A new token for a user who has `limit` already throws
    /// `StoreError.full` (checked in the transaction: concurrent registrations cannot pass it).
    /// Returns the stored record.
    func savePushToken(_ token: PushTokenRecord, limit: Int) async throws -> PushTokenRecord
    /// The push tokens of users, oldest first.
    func pushTokens(userIds: [String]) async throws -> [PushTokenRecord]
    /// Removes a token of the user's; false if they have none with that id.
    func deletePushToken(id: String, userId: String) async throws -> Bool
    /// The members of a conversation who hold a push token, ascending.
    func membersWithPushTokens(conversationId: String) async throws -> [String]
    /// Removes the tokens one login of a user registered (a logout), or all of the user's (nil).
    func deletePushTokens(userId: String, loginId: String?) async throws
    /// A user's push settings (the defaults when never set).
    func pushSettings(userId: String) async throws -> PushSettingsRecord
    func savePushSettings(userId: String, _ settings: PushSettingsRecord) async throws
    /// Push log entries by id (those that exist).
    func pushLogEntries(ids: [String]) async throws -> [PushLogRecord]
    /// Stores entries, in one transaction: a new one is added, a pending one updated, a final
    /// one (sent, failed, skipped) left as it is.
    func savePushLog(_ entries: [PushLogRecord]) async throws
    /// A user's push log (all users: nil), newest first.
    func pushLog(userId: String?, limit: Int) async throws -> [PushLogRecord]
    /// Forgets entries created before `before`; how many went.
    func prunePushLog(before: Int64) async throws -> Int
    /// What the user has not read, over all their conversations: messages of others, not
    /// recalled, after the user's read cursor (a push's badge); counted up to 1,000, so a huge
    /// backlog costs a bounded read.
    func unreadTotal(userId: String) async throws -> Int64

    // MARK: Media

    /// The key `sha256`'s bytes are stored under: a live blob's (touched now, so the collector
    /// leaves it alone), or else `proposedKey`, recorded as a new blob. The caller stores the
    /// bytes under the key returned when it is `proposedKey` or missing from storage.
    func claimMediaBlob(sha256: String, proposedKey: String, size: Int64, at: Int64) async throws -> String
    /// Saves an upload if its owner's uploads, this one included, stay within `quota` bytes
    /// (checked in the transaction: concurrent uploads cannot pass it together); false if not.
    func saveMedia(_ media: MediaRecord, quota: Int64) async throws -> Bool
    /// An upload by id; nil when there is none (or it was collected or taken down).
    func media(id: String) async throws -> MediaRecord?
    /// The newest upload of the same bytes (by the SHA-256 of the bytes as uploaded).
    func media(sourceSha256: String) async throws -> MediaRecord?
    /// Bytes (as uploaded) of the user's media.
    func mediaUsage(ownerId: String) async throws -> Int64
    /// Whether the user is a member of a conversation holding a message that references the media.
    func canReadMedia(id: String, userId: String) async throws -> Bool
    /// Removes up to `limit` uploads created before `unreferencedBefore` that no message
    /// references, marks blobs no upload uses and untouched since `untouchedBefore` as doomed, and
    /// returns up to `limit` doomed blobs' keys: the caller deletes their bytes, then
    /// `forgetMediaBlobs`. A doomed blob is never handed out again.
    func collectMedia(unreferencedBefore: Int64, untouchedBefore: Int64, at: Int64, limit: Int) async throws -> MediaCollection
    /// Forgets doomed blobs whose bytes are gone.
    func forgetMediaBlobs(keys: [String]) async throws
    /// Removes an upload at once, with every message's reference to it (an operator's
    /// takedown); its bytes go with the collector's next pass. False when there was none.
    func removeMedia(id: String) async throws -> Bool

    // MARK: Tasks (the durable work queue of a node without NATS)

    /// Adds tasks in one transaction; an id already queued is ignored.
    func enqueueTasks(_ tasks: [TaskRecord]) async throws
    /// Claims up to `limit` live tasks due at `now`, oldest due first: each counts one more
    /// attempt and is not due again before `leaseUntil`, so a claim whose worker dies lapses and
    /// the task runs again. Concurrent claimers never get the same task.
    func claimTasks(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [TaskRecord]
    /// Extends the claim of tasks still claimed until `current` (their runs go on) to `until`;
    /// a task finished, retried or buried meanwhile is left as it is.
    func extendTaskLeases(ids: [String], from current: Int64, to until: Int64) async throws
    /// Removes a finished task.
    func completeTask(id: String) async throws
    /// Makes a failed task due again at `runAt`.
    func retryTask(id: String, runAt: Int64, error: String) async throws
    /// Gives a task up: it stays, dead, for operators to inspect.
    func buryTask(id: String, at: Int64, error: String) async throws
    /// Dead tasks, most recently buried first.
    func deadTasks(limit: Int) async throws -> [TaskRecord]

    // MARK: Settings shared by every node on this store

    /// The value of a named setting, storing `proposed` first if it has none (atomically: of
    /// nodes starting together, all get the first one stored).
    func sharedSetting(_ name: String, proposed: String) async throws -> String
}

extension Store {
    /// Adds a task; an id already queued is ignored.
    public func enqueueTask(_ task: TaskRecord) async throws {
        try await enqueueTasks([task])
    }
}

/// One figure an engine reports about its own work, exported at `/metrics`.
public struct EngineStatistic: Sendable, Equatable {
    public enum Kind: String, Sendable { case counter, gauge }
    public var name: String
    public var kind: Kind
    public var help: String
    public var value: Int

    public init(name: String, kind: Kind, help: String, value: Int) {
        self.name = name
        self.kind = kind
        self.help = help
        self.value = value
    }
}

/// Engines that count their own work (transactions, the search index backlog).
public protocol EngineStatistics {
    var engineStatistics: [EngineStatistic] { get }
}
