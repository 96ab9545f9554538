/// `edit` (client → server): new content for one's own message, same content type.
public struct EditRequest: Codable, Sendable, Equatable {
    public var conversationId: String
    public var messageId: String
    public var content: JSONValue

    public init(conversationId: String, messageId: String, content: JSONValue) {
        self.conversationId = conversationId
        self.messageId = messageId
        self.content = content
    }
}

/// The `ack` of an edit: `seq` is the edit event's own seq.
public struct EditAck: Codable, Sendable, Equatable {
    public var status = "edited"
    public var conversationId: String
    public var messageId: String
    public var seq: Int64
    public var timestamp: Int64

    public init(conversationId: String, messageId: String, seq: Int64, timestamp: Int64) {
        self.conversationId = conversationId
        self.messageId = messageId
        self.seq = seq
        self.timestamp = timestamp
    }
}

/// `delete` (client → server): hide messages from one's own devices (delete for me).
public struct DeleteRequest: Codable, Sendable, Equatable {
    public var conversationId: String
    public var messageIds: [String]

    public init(conversationId: String, messageIds: [String]) {
        self.conversationId = conversationId
        self.messageIds = messageIds
    }
}

/// The `ack` of a delete.
public struct DeleteAck: Codable, Sendable, Equatable {
    public var status = "deleted"
    public var conversationId: String
    public var messageIds: [String]

    public init(conversationId: String, messageIds: [String]) {
        self.conversationId = conversationId
        self.messageIds = messageIds
    }
}

/// `react` (client → server): add or remove an emoji reaction on a message.
public struct ReactionRequest: Codable, Sendable, Equatable {
    public var conversationId: String
    public var messageId: String
    public var emoji: String
    /// `add` (default) or `remove`.
    public var action: String?

    public init(conversationId: String, messageId: String, emoji: String, action: String? = nil) {
        self.conversationId = conversationId
        self.messageId = messageId
        self.emoji = emoji
        self.action = action
    }
}

/// The `ack` of a reaction: the message's reactions after it.
public struct ReactionAck: Codable, Sendable, Equatable {
    public var status: String
    public var conversationId: String
    public var messageId: String
    public var reactions: [ReactionCount]

    public init(status: String, conversationId: String, messageId: String, reactions: [ReactionCount]) {
        self.status = status
        self.conversationId = conversationId
        self.messageId = messageId
        self.reactions = reactions
    }
}

/// `GET …/messages/{messageId}/edits`: earlier contents, oldest first.
public struct EditHistory: Codable, Sendable, Equatable {
    public struct Version: Codable, Sendable, Equatable {
        public var content: JSONValue
        /// When this content was replaced.
        public var replacedAt: Int64

        public init(content: JSONValue, replacedAt: Int64) {
            self.content = content
            self.replacedAt = replacedAt
        }
    }

    public var messageId: String
    public var current: JSONValue?
    public var editedAt: Int64?
    public var edits: [Version]

    public init(messageId: String, current: JSONValue?, editedAt: Int64?, edits: [Version]) {
        self.messageId = messageId
        self.current = current
        self.editedAt = editedAt
        self.edits = edits
    }
}
