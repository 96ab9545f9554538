/// A durable work queue: tasks survive the node that posted them and run on any node.
/// In the store on one node (a table polled by the workers); a JetStream work-queue stream in
/// a cluster.
public protocol TaskQueue: Sendable {
    /// Posts a task; it is stored before this returns. Posting the same id twice runs it once.
    func enqueue(_ task: WorkTask) async throws
    /// Posts tasks; all are stored before this returns (on one node in one transaction).
    func enqueue(contentsOf tasks: [WorkTask]) async throws
    /// Runs due tasks through `perform`, several at once, until the calling task is cancelled.
    func work(_ perform: @escaping @Sendable (WorkTask) async -> TaskOutcome) async
    /// Tasks given up, most recent first.
    func deadLetters(limit: Int) async throws -> [DeadLetter]
    /// What this node's workers did since start.
    var counts: TaskCounts { get }
}

extension TaskQueue {
    public func enqueue(contentsOf tasks: [WorkTask]) async throws {
        for task in tasks { try await enqueue(task) }
    }
}

/// Which kinds of task exist: a kind is also a NATS subject suffix, so it is kept to safe characters.
public func isValidTaskKind(_ kind: String) -> Bool {
    !kind.isEmpty && kind.utf8.count <= 64 && !kind.hasPrefix(".") && !kind.hasSuffix(".") && !kind.contains("..")
        && kind.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.".unicodeScalars.contains($0)) }
}
