import Foundation

/// A unit of background work (an event webhook call, later a push), run at least once by some
/// node: a task whose worker fails or dies runs again, up to a limit, then is dead-lettered.
public struct WorkTask: Sendable, Equatable {
    /// Unique; also the idempotency key a receiver can use (at-least-once means "maybe twice").
    public var id: String
    /// What to do, e.g. `webhook.event`: letters, digits, `-`, `_` and `.` only.
    public var kind: String
    /// JSON text.
    public var payload: String
    /// 1 on the first run.
    public var attempt: Int
    /// Not to run before this time (milliseconds since 1970); nil: at once.
    public var notBefore: Int64?

    public init(id: String, kind: String, payload: String, attempt: Int = 1, notBefore: Int64? = nil) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.attempt = attempt
        self.notBefore = notBefore
    }
}

/// How a run of a task ended.
public enum TaskOutcome: Sendable, Equatable {
    case done
    /// Worth another try (a timeout, a 5xx), after the policy's backoff.
    case failed(String)
    /// Worth another try, not before `after` (the worker knows better: a `Retry-After`, its own
    /// backoff with jitter, a time the task is due).
    case retry(String, after: Duration)
    /// Never worth another try (an unknown kind, a payload the worker cannot read).
    case rejected(String)
}

/// How often and how late a failed task is tried again.
public struct RetryPolicy: Sendable {
    /// Runs in all, the first included; after the last failure the task is dead-lettered.
    public var maxAttempts: Int
    /// The wait before the second, third, … run; the last entry repeats.
    public var backoff: [Duration]

    public init(maxAttempts: Int = 5, backoff: [Duration] = RetryPolicy.exponential(from: .seconds(1))) {
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff.isEmpty ? [.seconds(1)] : backoff
    }

    /// `first`, then four times longer at each step, up to ten minutes.
    public static func exponential(from first: Duration, steps: Int = 8) -> [Duration] {
        var delays: [Duration] = []
        var delay = first
        for _ in 0..<steps {
            delays.append(min(delay, .seconds(600)))
            delay *= 4
        }
        return delays
    }

    /// The wait after the `attempt`-th run failed.
    public func delay(after attempt: Int) -> Duration {
        backoff[min(max(attempt - 1, 0), backoff.count - 1)]
    }
}

/// A task that was given up, kept for operators.
public struct DeadLetter: Sendable, Codable, Equatable {
    public var id: String
    public var kind: String
    public var payload: String
    public var attempts: Int
    public var error: String
    /// Milliseconds since 1970.
    public var deadAt: Int64

    public init(id: String, kind: String, payload: String, attempts: Int, error: String, deadAt: Int64) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.attempts = attempts
        self.error = error
        self.deadAt = deadAt
    }
}

/// What a node's task workers did since start.
public struct TaskCounts: Sendable, Equatable, Codable {
    public var enqueued = 0
    public var completed = 0
    public var retried = 0
    public var dead = 0
    public init() {}
}

/// Milliseconds since 1970, now.
public func wallMilliseconds() -> Int64 {
    Int64(Date().timeIntervalSince1970 * 1000)
}

extension Duration {
    /// Whole milliseconds.
    public var milliseconds: Int64 {
        components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
    }
}
