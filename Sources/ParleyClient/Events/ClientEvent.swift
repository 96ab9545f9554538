import ParleyProtocol

/// What an app observes from `ParleyClient.events`.
public enum ClientEvent: Sendable {
    /// A session is open (after every reconnect too).
    case connected(ConnectedPayload)
    /// The connection is gone; the client reconnects by itself unless it was kicked or stopped.
    case disconnected
    /// A message, in seq order per conversation, each exactly once.
    case message(MessagePayload)
    /// A message was recalled (its recall event, in seq order).
    case recalled(conversationId: String, messageId: String, eventSeq: Int64)
    /// A receipt, typing notice or other notification.
    case notification(NotificationPayload)
    /// Conversations whose state changed while this client was away (unread counts, last message).
    case conversationsChanged([ConversationSummary])
    /// The server ended this session (`replaced`, `logout`, …); the client stops.
    case kicked(reason: String)
}

/// Failures the client reports.
public enum ParleyClientError: Error, Sendable, Equatable {
    /// The server refused the request.
    case server(ErrorPayload)
    /// The client was stopped before the request completed.
    case stopped
    /// Not logged in.
    case notAuthenticated
    /// An HTTP call failed below the protocol (status, transport).
    case http(status: Int, message: String)
}
