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

    // MARK: Auth sessions (one per login; each holds the current refresh token)

    func createAuthSession(_ session: AuthSessionRecord) async throws
    func authSession(id: String) async throws -> AuthSessionRecord?
    /// Replaces the session's refresh token if `currentHash` is still the current one.
    /// Returns false (and changes nothing) when it is not: a stale or reused token.
    func rotateRefreshToken(sessionId: String, currentHash: String, newHash: String, expiresAt: Int64) async throws -> Bool
    /// Marks the session revoked; its tokens stop working.
    func revokeAuthSession(id: String, at: Int64) async throws

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
    /// A page of a conversation in ascending `seq` order.
    func messages(conversationId: String, page: HistoryPage) async throws -> MessagePage

    // MARK: Conversations and members

    func conversation(id: String) async throws -> ConversationRecord?
    func membership(conversationId: String, userId: String) async throws -> MembershipRecord?
    func memberIds(conversationId: String) async throws -> [String]
    /// Moves a member's cursor forward to `seq` (never back, never past the conversation's
    /// last seq). A read cursor also moves the delivered cursor.
    func advanceCursor(conversationId: String, userId: String, kind: CursorKind, to seq: Int64) async throws -> CursorAdvance
    /// The user's conversations whose state changed after `version`, oldest change first.
    func conversationsChanged(userId: String, after version: Int64, limit: Int) async throws -> ConversationPage
    /// The user's conversations, pinned first, then by last activity.
    func conversationList(userId: String, limit: Int) async throws -> [ConversationState]

    // MARK: Notification inbox

    /// Appends a notification with the user's next inbox `seq`.
    func appendNotification(_ notification: NewNotification) async throws -> NotificationRecord
    /// Notifications after `seq`, ascending, at most `limit`; and the user's latest inbox seq.
    func notifications(userId: String, after seq: Int64, limit: Int) async throws -> NotificationPage
}
