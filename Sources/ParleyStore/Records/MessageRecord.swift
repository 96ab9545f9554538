/// One stored item of a conversation: a message, or an event (a recall) with its own seq.
public struct MessageRecord: Sendable, Equatable {
    public var conversationId: String
    public var seq: Int64
    public var messageId: String
    public var senderId: String
    public var localId: String?
    public var contentType: String
    /// Content as JSON text; nil once recalled.
    public var content: String?
    public var atUsers: [String]
    public var replyTo: String?
    public var createdAt: Int64
    public var recalled: Bool
    /// True for items that are events about other items (not counted as unread).
    public var isEvent: Bool

    public init(
        conversationId: String, seq: Int64, messageId: String, senderId: String, localId: String?,
        contentType: String, content: String?, atUsers: [String], replyTo: String?, createdAt: Int64,
        recalled: Bool, isEvent: Bool
    ) {
        self.conversationId = conversationId
        self.seq = seq
        self.messageId = messageId
        self.senderId = senderId
        self.localId = localId
        self.contentType = contentType
        self.content = content
        self.atUsers = atUsers
        self.replyTo = replyTo
        self.createdAt = createdAt
        self.recalled = recalled
        self.isEvent = isEvent
    }
}

/// Where a new message goes.
public enum MessageTarget: Sendable, Equatable {
    /// The private chat of two users, created on first use.
    case privateChat(conversationId: String, userA: String, userB: String)
    /// An existing conversation.
    case conversation(String)
}

/// A message to append; `messageId` and `createdAt` are chosen by the caller.
public struct NewMessage: Sendable, Equatable {
    public var target: MessageTarget
    public var messageId: String
    public var senderId: String
    public var localId: String
    public var contentType: String
    public var content: String
    public var atUsers: [String]
    /// Users this message mentions (resolved from `atUsers`; `all` for everyone).
    public var mentions: [String]
    public var replyTo: String?
    public var createdAt: Int64

    public init(
        target: MessageTarget, messageId: String, senderId: String, localId: String, contentType: String,
        content: String, atUsers: [String], mentions: [String], replyTo: String?, createdAt: Int64
    ) {
        self.target = target
        self.messageId = messageId
        self.senderId = senderId
        self.localId = localId
        self.contentType = contentType
        self.content = content
        self.atUsers = atUsers
        self.mentions = mentions
        self.replyTo = replyTo
        self.createdAt = createdAt
    }
}

/// The result of `appendMessage`.
public struct AppendOutcome: Sendable, Equatable {
    public var message: MessageRecord
    /// True when (sender, localId) was stored before: nothing new was written.
    public var duplicate: Bool

    public init(message: MessageRecord, duplicate: Bool) {
        self.message = message
        self.duplicate = duplicate
    }
}

/// A recall to store; the event gets `eventId` and the conversation's next seq.
public struct NewRecall: Sendable, Equatable {
    public var conversationId: String
    public var messageId: String
    public var eventId: String
    public var recalledBy: String
    public var createdAt: Int64

    public init(conversationId: String, messageId: String, eventId: String, recalledBy: String, createdAt: Int64) {
        self.conversationId = conversationId
        self.messageId = messageId
        self.eventId = eventId
        self.recalledBy = recalledBy
        self.createdAt = createdAt
    }
}

/// The result of `recallMessage`.
public struct RecallOutcome: Sendable, Equatable {
    /// The original message, now marked recalled.
    public var original: MessageRecord
    /// The recall event.
    public var event: MessageRecord
    /// True when the message had been recalled before: nothing new was written.
    public var duplicate: Bool

    public init(original: MessageRecord, event: MessageRecord, duplicate: Bool) {
        self.original = original
        self.event = event
        self.duplicate = duplicate
    }
}

/// Which page of a conversation to read.
public enum HistoryPage: Sendable, Equatable {
    /// Items with seq > `seq`, the first `limit` of them.
    case after(Int64, limit: Int)
    /// Items with seq < `seq` (nil: the newest), the last `limit` of them.
    case before(Int64?, limit: Int)
}

/// A page of items, ascending seq.
public struct MessagePage: Sendable, Equatable {
    public var messages: [MessageRecord]
    public var hasMore: Bool

    public init(messages: [MessageRecord], hasMore: Bool) {
        self.messages = messages
        self.hasMore = hasMore
    }
}
