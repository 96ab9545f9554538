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

    public init(queue: any TaskQueue, directory: any PresenceDirectory) {
        self.queue = queue
        self.directory = directory
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
    /// Posts the push task of a stored message when a recipient is offline. A repeated send
    /// (same `localId`) posts it again: the first attempt may have died between the commit and
    /// this post; the task's id and the push log keep it one push per device.
    func queuePush(_ message: MessageRecord, recipients: [String]) async throws {
        guard let pushes, pushes.anyoneOffline(recipients, except: message.senderId) else { return }
        let payload = String(decoding: FrameCoder.encode(PushFeed.MessageTask(messageId: message.messageId, conversationId: message.conversationId)), as: UTF8.self)
        try await pushes.queue.enqueue(WorkTask(id: "push-\(message.messageId)", kind: PushFeed.messageKind, payload: payload))
    }
}
