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
    /// When the content was last edited.
    public var editedAt: Int64?

    public init(
        conversationId: String, seq: Int64, messageId: String, senderId: String, localId: String?,
        contentType: String, content: String?, atUsers: [String], replyTo: String?, createdAt: Int64,
        recalled: Bool, isEvent: Bool, editedAt: Int64? = nil
    ) {
        self.editedAt = editedAt
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
    /// The text search finds this message by (nil: not searchable).
    public var searchText: String?
    /// Durable tasks that follow from the message (its push), stored in its transaction when
    /// the message is new: nothing acknowledged is without them. A retry stores none.
    public var tasks: [TaskRecord] = []
    /// Media the message's content references: members of its conversation may read it.
    /// Stored in the message's transaction when the message is new.
    public var mediaIds: [String] = []
    /// For a private chat: refuse the send (`StoreError.blocked`) when either user has blocked
    /// the other, checked with the append itself so no separate read precedes it.
    public var refuseIfBlocked = false

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
        self.searchText = nil
    }
}

/// The result of `appendMessage`.
public struct AppendOutcome: Sendable, Equatable {
    public var message: MessageRecord
    /// True when (sender, localId) was stored before: nothing new was written.
    public var duplicate: Bool
    /// The sender's read cursor before this message moved it to the message's seq (nil for a
    /// duplicate): below `seq - 1`, the send also read what others wrote in between.
    public var senderReadBefore: Int64?

    public init(message: MessageRecord, duplicate: Bool, senderReadBefore: Int64? = nil) {
        self.message = message
        self.duplicate = duplicate
        self.senderReadBefore = senderReadBefore
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

/// An edit to store: the new content replaces the old (kept in the edit history), and the
/// edit event gets `eventId` and the conversation's next seq.
public struct NewEdit: Sendable, Equatable {
    public var conversationId: String
    public var messageId: String
    public var eventId: String
    public var editedBy: String
    /// JSON text.
    public var content: String
    public var searchText: String?
    public var createdAt: Int64

    public init(conversationId: String, messageId: String, eventId: String, editedBy: String, content: String, searchText: String?, createdAt: Int64) {
        self.conversationId = conversationId
        self.messageId = messageId
        self.eventId = eventId
        self.editedBy = editedBy
        self.content = content
        self.searchText = searchText
        self.createdAt = createdAt
    }
}

/// A message's earlier content, replaced by an edit at `replacedAt`.
public struct EditRecord: Sendable, Equatable {
    public var content: String
    public var replacedAt: Int64

    public init(content: String, replacedAt: Int64) {
        self.content = content
        self.replacedAt = replacedAt
    }
}

/// One user's reaction on a message.
public struct ReactionRecord: Sendable, Equatable {
    public var messageId: String
    public var userId: String
    public var emoji: String

    public init(messageId: String, userId: String, emoji: String) {
        self.messageId = messageId
        self.userId = userId
        self.emoji = emoji
    }
}

/// A message search over one user's conversations, newest first.
public struct MessageSearch: Sendable, Equatable {
    public var userId: String
    /// Substring to find (case-insensitive).
    public var text: String
    public var conversationId: String?
    public var senderId: String?
    public var from: Int64?
    public var to: Int64?
    public var contentType: String?
    public var limit: Int
    /// Resume after this (createdAt, messageId), exclusive.
    public var after: (createdAt: Int64, messageId: String)?

    public init(
        userId: String, text: String, conversationId: String? = nil, senderId: String? = nil, from: Int64? = nil,
        to: Int64? = nil, contentType: String? = nil, limit: Int, after: (createdAt: Int64, messageId: String)? = nil
    ) {
        self.userId = userId
        self.text = text
        self.conversationId = conversationId
        self.senderId = senderId
        self.from = from
        self.to = to
        self.contentType = contentType
        self.limit = limit
        self.after = after
    }

    public static func == (lhs: MessageSearch, rhs: MessageSearch) -> Bool {
        lhs.userId == rhs.userId && lhs.text == rhs.text && lhs.conversationId == rhs.conversationId
            && lhs.senderId == rhs.senderId && lhs.from == rhs.from && lhs.to == rhs.to && lhs.contentType == rhs.contentType
            && lhs.limit == rhs.limit && lhs.after?.createdAt == rhs.after?.createdAt && lhs.after?.messageId == rhs.after?.messageId
    }
}

/// A found message with the text it was found by.
public struct SearchHit: Sendable, Equatable {
    public var message: MessageRecord
    public var text: String

    public init(message: MessageRecord, text: String) {
        self.message = message
        self.text = text
    }
}

/// The result of `editMessage`.
public struct EditOutcome: Sendable, Equatable {
    /// The message with its new content.
    public var message: MessageRecord
    /// The edit event.
    public var event: MessageRecord

    public init(message: MessageRecord, event: MessageRecord) {
        self.message = message
        self.event = event
    }
}
