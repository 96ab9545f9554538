import ParleyProtocol
import ParleyStore

extension Chat {
    /// A merged forward: the messages named, from a conversation the sender can read, stored as
    /// a snapshot (later recalls or edits of the originals do not change what was forwarded).
    ///
    /// What one request can make the server store is bounded: repeated ids count once, a
    /// forwarded forward is a reference (its conversation, id, title and size), not a copy of
    /// what it holds, so forwards do not nest, and the snapshot is refused with `too_large`
    /// past `maxForwardBytes`.
    func forwardSnapshot(_ content: JSONValue, by caller: Caller) async throws -> (value: JSONValue, text: String) {
        guard let source = content["conversationId"]?.stringValue, case .array(let items)? = content["messageIds"] else {
            throw ChatError.badRequest("forward content needs 'conversationId' and 'messageIds'")
        }
        do {
            _ = try await requireMembership(caller, in: source)
        } catch let error as ChatError where error.code == .notFound {
            throw ChatError.forbidden("cannot forward from a conversation you cannot read")
        }
        let ids = items.compactMap(\.stringValue).distinct
        let found = Dictionary(try await store.messages(ids: ids).map { ($0.messageId, $0) }, uniquingKeysWith: { a, _ in a })
        let hidden = try await store.hiddenMessageIds(userId: caller.userId, among: ids)
        let records = try ids.map { id -> MessageRecord in
            guard let message = found[id], message.conversationId == source, !message.isEvent, !message.recalled, !hidden.contains(id) else {
                throw ChatError.notFound("message '\(id.prefix(64))' is not in that conversation (or was recalled or deleted)")
            }
            return message
        }
        // Refused before anything is built when the stored contents alone are over the bound.
        let stored = records.reduce(0) { $0 + ($1.contentType == "forward" ? 0 : $1.content?.utf8.count ?? 0) }
        if stored > limits.maxForwardBytes {
            throw ChatError(.tooLarge, "the forwarded messages are over \(stored) bytes; the limit is \(limits.maxForwardBytes)")
        }
        let names = try await profiles.users(Set(records.map(\.senderId)))
        let snapshots = records.map { message -> JSONValue in
            .object([
                "messageId": .string(message.messageId), "senderId": .string(message.senderId),
                "senderName": names[message.senderId].map { .string($0.displayName) } ?? .null,
                "contentType": .string(message.contentType),
                "content": Self.forwardedContent(of: message),
                "timestamp": .integer(message.createdAt),
            ])
        }
        var snapshot: [String: JSONValue] = ["conversationId": .string(source), "messages": .array(snapshots)]
        if let title = content["title"] { snapshot["title"] = title }
        let value = JSONValue.object(snapshot)
        let text = value.jsonText
        if text.utf8.count > limits.maxForwardBytes {
            throw ChatError(.tooLarge, "the forwarded messages are \(text.utf8.count) bytes; the limit is \(limits.maxForwardBytes)")
        }
        return (value, text)
    }

    /// What a forward keeps of one message: its content, except that a forward inside is
    /// referred to, not copied.
    private static func forwardedContent(of message: MessageRecord) -> JSONValue {
        guard let content = message.content.map(JSONValue.init(jsonText:)) else { return .null }
        guard message.contentType == "forward" else { return content }
        var reference: [String: JSONValue] = [
            "conversationId": .string(message.conversationId), "messageId": .string(message.messageId),
        ]
        if let title = content["title"] { reference["title"] = title }
        if case .array(let inner)? = content["messages"] { reference["count"] = .integer(Int64(inner.count)) }
        return .object(reference)
    }
}
