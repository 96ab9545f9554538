import ParleyProtocol
import ParleyStore

extension Chat {
    /// The message a reply names: it must be a message (not an event) of the same conversation.
    func repliedMessage(_ messageId: String, in conversationId: String) async throws -> MessageRecord {
        guard let message = try await store.message(id: messageId), message.conversationId == conversationId, !message.isEvent else {
            throw ChatError.badRequest("'replyTo' must name a message of this conversation")
        }
        return message
    }

    /// What a reply shows of the message it answers.
    func quote(of message: MessageRecord, names: [String: UserRecord]) -> Quote {
        Quote(
            messageId: message.messageId, senderId: message.senderId, senderName: names[message.senderId]?.displayName,
            contentType: message.contentType, preview: message.recalled ? "" : Self.preview(message), recalled: message.recalled)
    }

    /// A short text for a message: its text, or its kind in brackets.
    static func preview(_ message: MessageRecord) -> String {
        let content = message.content.map(JSONValue.init(jsonText:))
        if let text = MessageContent.searchableText(type: message.contentType, content: content), !text.isEmpty {
            // Scalars, not Characters: one Character can hold kilobytes of combining marks.
            return String(String.UnicodeScalarView(text.unicodeScalars.prefix(200)))
        }
        return "[\(message.contentType)]"
    }

    /// History items as one member sees them: quotes resolved, reactions counted, items the
    /// member deleted for themselves withheld (their seq stays, so the sequence has no gap).
    func decorate(_ payloads: [MessagePayload], records: [MessageRecord], for caller: Caller) async throws -> [MessagePayload] {
        var payloads = payloads
        let ids = records.filter { !$0.isEvent }.map(\.messageId)
        let replied = Set(records.compactMap { $0.isEvent ? nil : $0.replyTo })
        async let quotedRecords = store.messages(ids: Array(replied))
        async let reactionRecords = store.reactions(messageIds: ids)
        async let hidden = store.hiddenMessageIds(userId: caller.userId, among: ids)
        let quoted = Dictionary(try await quotedRecords.map { ($0.messageId, $0) }, uniquingKeysWith: { a, _ in a })
        let names = try await profiles.users(Set(quoted.values.map(\.senderId)))
        let byMessage = Dictionary(grouping: try await reactionRecords, by: \.messageId)
        let hiddenIds = try await hidden
        for index in payloads.indices where !records[index].isEvent {
            let id = payloads[index].messageId
            if hiddenIds.contains(id) {
                payloads[index].deleted = true
                payloads[index].content = nil
                payloads[index].quote = nil
                continue
            }
            if let replyTo = payloads[index].replyTo, let message = quoted[replyTo] {
                payloads[index].quote = quote(of: message, names: names)
            }
            payloads[index].reactions = Self.counts(byMessage[id] ?? [], for: caller.userId)
        }
        return payloads
    }

    /// Reactions per emoji, in the order each emoji first appeared.
    static func counts(_ reactions: [ReactionRecord], for userId: String) -> [ReactionCount] {
        var order: [String] = []
        var counts: [String: (Int64, Bool)] = [:]
        for reaction in reactions {
            if counts[reaction.emoji] == nil { order.append(reaction.emoji) }
            let (count, me) = counts[reaction.emoji] ?? (0, false)
            counts[reaction.emoji] = (count + 1, me || reaction.userId == userId)
        }
        return order.map { ReactionCount(emoji: $0, count: counts[$0]!.0, me: counts[$0]!.1) }
    }
}
