import Foundation
import ParleyProtocol
import ParleyStore

/// What a system notification says, before it is addressed to each of its recipients.
struct Notice: Sendable {
    var type: String
    var title: String
    var content: String = ""
    /// `accept_reject`, `view` or `none`.
    var actionType: String = "none"
    var actionData: [String: JSONValue]
    var priority: String = "normal"
}

extension Chat {
    /// The inbox entries that tell `recipients` about `notice`, one per user, ready to be stored
    /// in the same transaction as the change they report.
    func address(_ notice: Notice, to recipients: some Sequence<String>) -> [NewNotification] {
        let actionData = String(decoding: FrameCoder.encode(JSONValue.object(notice.actionData)), as: UTF8.self)
        let now = clock.now()
        return recipients.map { userId in
            NewNotification(
                userId: userId, id: "notif-" + ids.next(), type: notice.type, title: notice.title, content: notice.content,
                actionType: notice.actionType, actionData: actionData, priority: notice.priority, createdAt: now)
        }
    }

    /// Delivers stored notifications live, each to its user's sessions with its inbox seq.
    func deliver(_ records: [NotificationRecord]) async {
        // One notice to many users shares its action data: parse it once.
        var parsed: [String: JSONValue] = [:]
        for record in records {
            let text = record.notification.actionData
            let actionData = parsed[text] ?? JSONValue(jsonText: text)
            parsed[text] = actionData
            await deliver(frames.notification(Self.payload(record, actionData: actionData)), to: [record.notification.userId])
        }
    }
}

extension JSONValue {
    /// A list of ids as a JSON array.
    static func strings(_ values: [String]) -> JSONValue {
        .array(values.map { .string($0) })
    }

    static func integer(_ value: Int64) -> JSONValue {
        .number(Double(value))
    }
}
