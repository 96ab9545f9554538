/// A unit of background work in the store's durable queue (a node without NATS).
public struct TaskRecord: Sendable, Equatable {
    public var id: String
    /// What to do (`webhook.event`, …); the worker for the kind reads `payload`.
    public var kind: String
    /// JSON text.
    public var payload: String
    /// Runs started so far (the current one included once claimed).
    public var attempts: Int
    /// When the task is due: first when enqueued, then after a failure's backoff, and while
    /// claimed, when the claim lapses (a worker that died without finishing).
    public var runAt: Int64
    public var createdAt: Int64
    public var lastError: String?
    /// When the task was given up (dead-lettered); nil while it may still run.
    public var deadAt: Int64?

    public init(
        id: String, kind: String, payload: String, attempts: Int = 0, runAt: Int64, createdAt: Int64, lastError: String? = nil,
        deadAt: Int64? = nil
    ) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.attempts = attempts
        self.runAt = runAt
        self.createdAt = createdAt
        self.lastError = lastError
        self.deadAt = deadAt
    }
}
