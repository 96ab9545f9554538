import ParleyProtocol
import ParleyTasks

/// The operator's feed of what happened to messages, for the event webhook
/// (`--event-webhook-url`): each event becomes a durable task once its change has committed,
/// and a worker on some node posts it, retrying until the receiver takes it.
public struct EventFeed: Sendable {
    /// The task kind of an event to post.
    public static let taskKind = "webhook.event"
    let queue: any TaskQueue

    public init(queue: any TaskQueue) {
        self.queue = queue
    }
}

extension Chat {
    /// Queues an event for the event webhook, if one is configured:
    /// `{"eventId", "event", "timestamp", …fields}`. The change it reports is committed
    /// already, so a failure here is logged, never reported to the user. The fields are only
    /// built when there is a webhook (they cost an encoding on the send path).
    func postEvent(_ name: String, _ fields: @autoclosure () -> [String: JSONValue]) async {
        guard let events else { return }
        let id = ids.next()
        var body = fields()
        body["eventId"] = .string(id)
        body["event"] = .string(name)
        body["timestamp"] = .integer(clock.now())
        let payload = String(decoding: FrameCoder.encode(JSONValue.object(body)), as: UTF8.self)
        do {
            try await events.queue.enqueue(WorkTask(id: id, kind: EventFeed.taskKind, payload: payload))
        } catch {
            logger.error("event not queued for the webhook", metadata: ["event": "\(name)", "id": "\(id)", "error": "\(error)"])
        }
    }

    /// A value as the JSON the event carries.
    func eventValue(_ value: some Encodable) -> JSONValue {
        JSONValue(jsonText: String(decoding: FrameCoder.encode(value), as: UTF8.self))
    }
}
