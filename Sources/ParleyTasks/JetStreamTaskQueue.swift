import Foundation
import Logging
import NIOCore
import ParleyNATS
import Synchronization

/// The cluster's work queue: a JetStream work-queue stream (`PARLEY_TASKS`, subjects
/// `parley.tasks.<kind>`) with one durable pull consumer shared by every node, so each task
/// goes to one worker on any node. A run that fails is retried after the policy's backoff
/// (`-NAK` with a delay); a worker that dies without answering lets the ack wait lapse and the
/// task is delivered again; after the last attempt the task goes to the dead-letter stream
/// (`PARLEY_DEAD`, subjects `parley.dead.<kind>`), also when the delivery limit was reached
/// without any answer (JetStream's max-deliveries advisory).
public final class JetStreamTaskQueue: TaskQueue {
    public static let stream = "PARLEY_TASKS"
    public static let deadStream = "PARLEY_DEAD"
    public static let consumer = "parley-workers"

    private let jetStream: JetStream
    private let policy: RetryPolicy
    private let ackWait: Duration
    private let concurrency: Int
    private let longestRun: Duration
    private let logger: Logger
    private let tally = Mutex(TaskCounts())

    /// - Parameters:
    ///   - ackWait: how long a delivered task may run before it is handed out again.
    ///   - concurrency: tasks this node runs at once.
    ///   - longestRun: how long a run is kept alive with progress acks; a run still going then is
    ///     presumed hung and the task goes to another worker after the ack wait.
    public init(
        jetStream: JetStream, policy: RetryPolicy = RetryPolicy(), ackWait: Duration = .seconds(60), concurrency: Int = 8,
        longestRun: Duration = .seconds(900), logger: Logger
    ) {
        self.longestRun = longestRun
        self.jetStream = jetStream
        self.policy = policy
        self.ackWait = ackWait
        self.concurrency = max(1, concurrency)
        self.logger = logger
    }

    /// Creates (or updates) the streams and the consumer, and starts dead-lettering tasks that
    /// reached the delivery limit unanswered.
    public func start() async throws {
        try await ensureStreams()
        // One node of the queue group handles each advisory.
        _ = jetStream.client.subscribe(
            "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.\(Self.stream).\(Self.consumer)", queue: "parley-dead-letters"
        ) { [weak self] message in
            struct Advisory: Decodable {
                var stream_seq: UInt64
                var deliveries: Int
            }
            guard let self, let advisory = try? JSONDecoder().decode(Advisory.self, from: Data(message.payload.readableBytesView)) else { return }
            Task { await self.buryUnanswered(seq: advisory.stream_seq, deliveries: advisory.deliveries) }
        }
    }

    /// The streams and the consumer; also after a NATS server lost them (restarted without
    /// its storage), at most once every few seconds.
    private func ensureStreams() async throws {
        try await jetStream.ensureStream(JetStream.StreamConfig(
            name: Self.stream, subjects: ["parley.tasks.>"], retention: "workqueue", maxAge: .seconds(7 * 86_400)))
        try await jetStream.ensureStream(JetStream.StreamConfig(
            name: Self.deadStream, subjects: ["parley.dead.>"], maxAge: .seconds(30 * 86_400)))
        do {
            try await jetStream.ensureConsumer(
                stream: Self.stream, durable: Self.consumer, ackWait: ackWait, maxDeliver: policy.maxAttempts)
        } catch let error as JetStream.APIError {
            // Another node made it with other settings (a different --task-attempts): the
            // consumer is shared, so its settings stay; this node still dead-letters at its own limit.
            logger.warning("task consumer kept with its existing settings", metadata: ["error": "\(error)"])
        }
    }

    private let lastRepair = Mutex<ContinuousClock.Instant?>(nil)

    /// After an error that may mean the streams are gone: creates them again (rate-limited).
    private func repair() async {
        let now = ContinuousClock.now
        let due = lastRepair.withLock { last -> Bool in
            if let last, now - last < .seconds(5) { return false }
            last = now
            return true
        }
        guard due else { return }
        do {
            try await ensureStreams()
        } catch {
            logger.debug("task streams not repaired", metadata: ["error": "\(error)"])
        }
    }

    public var counts: TaskCounts { tally.withLock { $0 } }

    public func enqueue(_ task: WorkTask) async throws {
        precondition(isValidTaskKind(task.kind), "task kinds are fixed by the code")
        // The message id makes a repeated post (a retry after a lost ack) one task.
        let subject = "parley.tasks.\(task.kind)"
        let headers = task.notBefore.map { ["Parley-Not-Before": String($0)] } ?? [:]
        do {
            _ = try await jetStream.publish(subject, payload: ByteBuffer(string: task.payload), messageId: task.id, headers: headers)
        } catch NATSError.noResponders {
            // No stream stores the subject (the NATS server lost it): make it again, post again.
            await repair()
            _ = try await jetStream.publish(subject, payload: ByteBuffer(string: task.payload), messageId: task.id, headers: headers)
        }
        tally.withLock { $0.enqueued += 1 }
    }

    public func work(_ perform: @escaping @Sendable (WorkTask) async -> TaskOutcome) async {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<concurrency {
                group.addTask { await self.pull(perform) }
            }
        }
    }

    private func pull(_ perform: @escaping @Sendable (WorkTask) async -> TaskOutcome) async {
        while !Task.isCancelled {
            let delivered: JetStream.Delivered?
            do {
                delivered = try await jetStream.next(stream: Self.stream, durable: Self.consumer, wait: .seconds(2))
            } catch {
                logger.debug("no task fetched", metadata: ["error": "\(error)"])
                if case NATSError.noResponders = error { await repair() }
                try? await Task.sleep(for: .milliseconds(500))
                continue
            }
            guard let delivered else { continue }
            await run(delivered, perform)
        }
    }

    private func run(_ delivered: JetStream.Delivered, _ perform: @escaping @Sendable (WorkTask) async -> TaskOutcome) async {
        let message = delivered.message
        let task = Self.task(subject: message.subject, headers: message.headers, payload: message.payload, attempt: delivered.deliveryCount)
        // JetStream has no delayed delivery: a task posted for later goes back until it is due.
        if let notBefore = task.notBefore, notBefore > wallMilliseconds() {
            do {
                try delivered.nak(delay: .milliseconds(notBefore - wallMilliseconds()))
            } catch {
                logger.debug("early task not put back", metadata: ["task": "\(task.id)", "error": "\(error)"])
            }
            return
        }
        // Told every third of the ack wait that the run goes on, JetStream does not hand a long
        // run (a push batch) to a second worker; a dead worker's task comes back after one wait.
        let outcome = await withTaskGroup(of: TaskOutcome?.self) { group in
            group.addTask { await perform(task) }
            group.addTask {
                let giveUp = ContinuousClock.now + self.longestRun
                while !Task.isCancelled {
                    try? await Task.sleep(for: self.ackWait / 3)
                    if Task.isCancelled || ContinuousClock.now > giveUp { break }
                    try? delivered.inProgress()
                }
                return nil
            }
            var outcome: TaskOutcome = .failed("no outcome")
            for await result in group {
                if let result {
                    outcome = result
                    group.cancelAll()
                }
            }
            return outcome
        }
        do {
            switch outcome {
            case .done:
                try delivered.ack()
                tally.withLock { $0.completed += 1 }
            case .failed where task.attempt < policy.maxAttempts:
                try delivered.nak(delay: policy.delay(after: task.attempt))
                tally.withLock { $0.retried += 1 }
            case .retry(_, let delay) where task.attempt < policy.maxAttempts:
                try delivered.nak(delay: max(delay, .milliseconds(1)))
                tally.withLock { $0.retried += 1 }
            case .failed(let error), .rejected(let error), .retry(let error, _):
                try await bury(task, error: error)
                try delivered.term()
            }
        } catch {
            // Unanswered, the task is delivered again after the ack wait: at least once, never lost.
            logger.warning("task outcome not recorded", metadata: ["task": "\(task.id)", "error": "\(error)"])
        }
    }

    private func bury(_ task: WorkTask, error: String) async throws {
        _ = try await jetStream.publish(
            "parley.dead.\(task.kind)", payload: ByteBuffer(string: task.payload), messageId: "dead-" + task.id,
            headers: ["Parley-Task-Id": task.id, "Parley-Attempts": String(task.attempt), "Parley-Error": Self.headerSafe(error)])
        tally.withLock { $0.dead += 1 }
        logger.warning("task dead-lettered", metadata: ["task": "\(task.id)", "kind": "\(task.kind)", "attempts": "\(task.attempt)", "error": "\(error)"])
    }

    /// A task that reached the delivery limit without any answer (its workers died or hung).
    private func buryUnanswered(seq: UInt64, deliveries: Int) async {
        do {
            guard let stored = try await jetStream.message(stream: Self.stream, seq: seq) else { return }
            let task = Self.task(subject: stored.subject, headers: stored.headers, payload: stored.payload, attempt: deliveries)
            try await bury(task, error: "no answer after \(deliveries) deliveries")
            try await jetStream.deleteMessage(stream: Self.stream, seq: seq)
        } catch {
            logger.warning("unanswered task not dead-lettered", metadata: ["seq": "\(seq)", "error": "\(error)"])
        }
    }

    public func deadLetters(limit: Int) async throws -> [DeadLetter] {
        let state = try await jetStream.streamState(Self.deadStream)
        guard state.messages > 0 else { return [] }
        var letters: [DeadLetter] = []
        var seq = state.lastSeq
        while seq >= state.firstSeq, seq > 0, letters.count < limit {
            if let stored = try await jetStream.message(stream: Self.deadStream, seq: seq) {
                letters.append(DeadLetter(
                    id: stored.headers["Parley-Task-Id"] ?? "", kind: String(stored.subject.dropFirst("parley.dead.".count)),
                    payload: String(buffer: stored.payload), attempts: Int(stored.headers["Parley-Attempts"] ?? "") ?? 0,
                    error: stored.headers["Parley-Error"] ?? "", deadAt: Self.milliseconds(stored.time)))
            }
            seq -= 1
        }
        return letters
    }

    /// The task a stored message carries (its id is the message id it was published with).
    static func task(subject: String, headers: [String: String], payload: ByteBuffer, attempt: Int) -> WorkTask {
        WorkTask(
            id: headers["Nats-Msg-Id"] ?? UUID().uuidString, kind: String(subject.dropFirst("parley.tasks.".count)),
            payload: String(buffer: payload), attempt: attempt, notBefore: headers["Parley-Not-Before"].flatMap { Int64($0) })
    }

    /// Header values are one line of text.
    static func headerSafe(_ text: String) -> String {
        String(text.map { $0.isNewline || $0 == "\r" ? " " : $0 }.prefix(500))
    }

    /// JetStream's RFC 3339 time (nanosecond fraction) in milliseconds since 1970.
    static func milliseconds(_ time: String) -> Int64 {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        // ISO8601DateFormatter reads at most milliseconds: cut the fraction to three digits.
        var trimmed = time
        if let dot = time.firstIndex(of: "."), let end = time[dot...].firstIndex(where: { $0 == "Z" || $0 == "+" || $0 == "-" }) {
            let digits = time[time.index(after: dot)..<end]
            trimmed = String(time[..<dot]) + "." + String(digits.prefix(3)).padding(toLength: 3, withPad: "0", startingAt: 0) + String(time[end...])
        }
        return formatter.date(from: trimmed).map { Int64($0.timeIntervalSince1970 * 1000) } ?? 0
    }
}
