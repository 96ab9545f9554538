import ParleyBus
import ParleyProtocol
import ParleyStore
import ParleyTasks

/// Where messages to offline users become pushes: one durable task per message (a group's
/// included: the workers expand it), posted before the sender's ack so a crash after the ack
/// cannot lose it. A node with no push provider configured has none.
public struct PushFeed: Sendable {
    /// A message's push task: `{"messageId", "conversationId"}`, id `push-<messageId>`.
    public static let messageKind = "push.message"
    /// A share of a group's recipients: `{"messageId", "conversationId", "userIds"}`.
    public static let batchKind = "push.batch"
    /// An e-mail digest of a conversation's unread messages: `{"userId", "tokenId", "conversationId"}`.
    public static let emailKind = "push.email"

    let queue: any TaskQueue
    let directory: any PresenceDirectory
    /// Set when the queue is the store's own table: a message's task is then stored in the
    /// message's transaction (no second commit on the send path), and this wakes the workers.
    let storedWithMessages: (@Sendable (Int) -> Void)?

    /// - Parameter storedWithMessages: for a queue in the same store as the messages (the
    ///   store's task table), what to tell it once a message's task is stored with it.
    public init(queue: any TaskQueue, directory: any PresenceDirectory, storedWithMessages: (@Sendable (Int) -> Void)? = nil) {
        self.queue = queue
        self.directory = directory
        self.storedWithMessages = storedWithMessages
    }

    /// A message's push task.
    static func task(messageId: String, conversationId: String) -> WorkTask {
        let payload = String(decoding: FrameCoder.encode(MessageTask(messageId: messageId, conversationId: conversationId)), as: UTF8.self)
        return WorkTask(id: "push-\(messageId)", kind: messageKind, payload: payload)
    }

    struct MessageTask: Codable {
        var messageId: String
        var conversationId: String
    }

    /// Whether any recipient but the sender has no live session on any node.
    func anyoneOffline(_ recipients: [String], except sender: String) -> Bool {
        recipients.contains { $0 != sender && directory.devices(of: $0).isEmpty }
    }
}

extension Chat {
    /// The push task to store with a new message, when the queue is the store's table and a
    /// recipient is offline.
    func pushTask(for message: NewMessage, recipients: [String]) -> TaskRecord? {
        guard let pushes, pushes.storedWithMessages != nil, pushes.anyoneOffline(recipients, except: message.senderId) else { return nil }
        let task = PushFeed.task(messageId: message.messageId, conversationId: message.target.conversationId)
        return TaskRecord(id: task.id, kind: task.kind, payload: task.payload, runAt: message.createdAt, createdAt: message.createdAt)
    }

    /// After the append: wakes the workers for a task stored with the message, or (a queue
    /// elsewhere, JetStream) posts the task now, before the ack. A repeated send (same
    /// `localId`) posts it again there: the first attempt may have died between the commit and
    /// the post; the task's id and the push log keep it one push per device.
    func queuePush(_ outcome: AppendOutcome, stored: Bool, recipients: [String]) async throws {
        guard let pushes else { return }
        if let wake = pushes.storedWithMessages {
            if stored, !outcome.duplicate { wake(1) }
            return
        }
        let message = outcome.message
        guard pushes.anyoneOffline(recipients, except: message.senderId) else { return }
        try await pushes.queue.enqueue(PushFeed.task(messageId: message.messageId, conversationId: message.conversationId))
    }
}
