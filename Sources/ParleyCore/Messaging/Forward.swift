import ParleyProtocol
import ParleyStore

extension Chat {
    /// A merged forward: the messages named, from a conversation the sender can read, stored as
    /// a snapshot (later recalls or edits of the originals do not change what was forwarded).
    func forwardSnapshot(_ content: JSONValue, by caller: Caller) async throws -> (value: JSONValue, text: String) {
        guard let source = content["conversationId"]?.stringValue, case .array(let items)? = content["messageIds"] else {
            throw ChatError.badRequest("forward content needs 'conversationId' and 'messageIds'")
        }
        do {
            _ = try await requireMembership(caller, in: source)
        } catch let error as ChatError where error.code == .notFound {
            throw ChatError.forbidden("cannot forward from a conversation you cannot read")
        }
        let ids = items.compactMap(\.stringValue)
        let found = Dictionary(try await store.messages(ids: ids).map { ($0.messageId, $0) }, uniquingKeysWith: { a, _ in a })
        let hidden = try await store.hiddenMessageIds(userId: caller.userId, among: ids)
        var snapshots: [JSONValue] = []
        let records = try ids.map { id -> MessageRecord in
            guard let message = found[id], message.conversationId == source, !message.isEvent, !message.recalled, !hidden.contains(id) else {
                throw ChatError.notFound("message '\(id.prefix(64))' is not in that conversation (or was recalled or deleted)")
            }
            return message
        }
        let names = try await profiles.users(Set(records.map(\.senderId)))
        for message in records {
            snapshots.append(.object([
                "messageId": .string(message.messageId), "senderId": .string(message.senderId),
                "senderName": names[message.senderId].map { .string($0.displayName) } ?? .null,
                "contentType": .string(message.contentType),
                "content": message.content.map(JSONValue.init(jsonText:)) ?? .null,
                "timestamp": .integer(message.createdAt),
            ]))
        }
        var snapshot: [String: JSONValue] = ["conversationId": .string(source), "messages": .array(snapshots)]
        if let title = content["title"] { snapshot["title"] = title }
        let value = JSONValue.object(snapshot)
        return (value, value.jsonText)
    }
}
