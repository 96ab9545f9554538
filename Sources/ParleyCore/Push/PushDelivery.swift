import Foundation
import Logging
import ParleyProtocol
import ParleyStore
import ParleyTasks

/// The push workers: a message's task becomes one push per token of each offline recipient
/// (a group's recipients in batches, each its own task), every push logged before its provider
/// is called, so a push that went out is never sent again, and one that did not is retried.
///
/// Nothing here runs on the send path: the sender's ack waited only for the one task.
public struct PushDelivery: Sendable {
    /// How pushes are retried and batched.
    public struct Policy: Sendable {
        /// Provider calls per push, the first included.
        public var attempts: Int
        /// The wait after the first failed call; four times longer after each later one.
        public var backoff: Duration
        /// Recipients per batch task (seed 003's `batch_size`).
        public var batchSize: Int
        /// One e-mail per conversation per this long.
        public var emailDelay: Duration
        /// Provider calls in flight at once per batch.
        public var concurrency: Int
        /// The queue's last run of a task (`--task-attempts`): a push still failing then fails
        /// for good, rather than stay pending in a dead-lettered task.
        public var lastTaskAttempt: Int

        public init(
            attempts: Int = 3, backoff: Duration = .seconds(1), batchSize: Int = 100, emailDelay: Duration = .seconds(600),
            concurrency: Int = 16, lastTaskAttempt: Int = 5
        ) {
            self.lastTaskAttempt = max(1, lastTaskAttempt)
            self.attempts = max(1, attempts)
            self.backoff = backoff
            self.batchSize = max(1, batchSize)
            self.emailDelay = max(emailDelay, .seconds(1))
            self.concurrency = max(1, concurrency)
        }

        /// The wait after the `attempt`-th failed call: the backoff ×4 per attempt, ±20 % so
        /// that pushes failed together do not come back together.
        func delay(after attempt: Int) -> Duration {
            let base = Double(backoff.milliseconds) * pow(4, Double(max(attempt - 1, 0)))
            return .milliseconds(Int64(min(base, 3_600_000) * Double.random(in: 0.8...1.2)))
        }
    }

    let chat: Chat
    let feed: PushFeed
    let providers: [String: any PushProvider]
    let email: (any EmailSender)?
    let policy: Policy
    /// E-mails per address: a user can register any address, so what one receives is bounded.
    let emailsPerAddress = KeyedRateLimit("e-mails to this address", rate: 30.0 / 3600, burst: 30)
    let logger: Logger

    /// The longest a provider's `Retry-After` is followed.
    static let longestRetryAfter = Duration.seconds(900)

    public init(
        chat: Chat, feed: PushFeed, providers: [String: any PushProvider], email: (any EmailSender)?, policy: Policy, logger: Logger
    ) {
        self.chat = chat
        self.feed = feed
        self.providers = providers
        self.email = email
        self.policy = policy
        self.logger = logger
    }

    var store: any Store { chat.store }
    var metrics: PushMetrics { chat.metrics.push }

    struct BatchTask: Codable {
        var messageId: String
        var conversationId: String
        var userIds: [String]
    }

    struct DigestTask: Codable {
        var userId: String
        var tokenId: String
        var conversationId: String
        var entryId: String
    }

    /// Runs one push task (`push.message`, `push.batch` or `push.email`).
    public func run(_ task: WorkTask) async -> TaskOutcome {
        do {
            switch task.kind {
            case PushFeed.messageKind:
                return try await expand(
                    try FrameCoder.decode(PushFeed.MessageTask.self, from: Data(task.payload.utf8)), lastRun: task.attempt >= policy.lastTaskAttempt)
            case PushFeed.batchKind:
                let batch = try FrameCoder.decode(BatchTask.self, from: Data(task.payload.utf8))
                guard let message = try await store.message(id: batch.messageId) else { return .done }
                return try await deliver(message, to: batch.userIds, lastRun: task.attempt >= policy.lastTaskAttempt)
            case PushFeed.emailKind:
                return try await digest(
                    try FrameCoder.decode(DigestTask.self, from: Data(task.payload.utf8)), lastRun: task.attempt >= policy.lastTaskAttempt)
            default:
                return .rejected("unknown push task kind '\(task.kind)'")
            }
        } catch is ProtocolViolation {
            return .rejected("unreadable push task")
        } catch {
            // The store failed: the queue's own backoff, and the log keeps what was done.
            return .failed("\(error)")
        }
    }

    /// A message's recipients who hold a token, but the sender: at once when they fit one
    /// batch, else as batch tasks posted together (ids derived from the message, so a second
    /// expansion posts nothing new; the recipients are sorted, so it cuts the same batches unless
    /// tokens changed in between).
    func expand(_ task: PushFeed.MessageTask, lastRun: Bool = false) async throws -> TaskOutcome {
        guard let message = try await store.message(id: task.messageId), !message.isEvent else { return .done }
        let recipients = try await store.membersWithPushTokens(conversationId: message.conversationId).filter { $0 != message.senderId }
        if recipients.count <= policy.batchSize { return try await deliver(message, to: recipients, lastRun: lastRun) }
        let batches = stride(from: 0, to: recipients.count, by: policy.batchSize).enumerated().map { index, start in
            let share = Array(recipients[start..<min(start + policy.batchSize, recipients.count)])
            let payload = FrameCoder.encode(BatchTask(messageId: message.messageId, conversationId: message.conversationId, userIds: share))
            return WorkTask(
                id: "push-\(message.messageId)-\(index)", kind: PushFeed.batchKind, payload: String(decoding: payload, as: UTF8.self))
        }
        try await feed.queue.enqueue(contentsOf: batches)
        return .done
    }

    /// The log entry of a message's push to a token.
    static func entryId(_ message: MessageRecord, _ token: PushTokenRecord) -> String {
        "\(message.messageId).\(token.id)"
    }

    /// One provider call to make.
    struct Call {
        var entry: PushLogRecord
        var token: PushTokenRecord
        var notification: PushNotification
        var provider: any PushProvider
    }

    /// Pushes `message` to every token of `userIds` that has no final log entry yet. On the
    /// task's `lastRun` a push that would be retried fails instead.
    func deliver(_ message: MessageRecord, to userIds: [String], lastRun: Bool = false) async throws -> TaskOutcome {
        let now = chat.clock.now()
        let tokens = try await store.pushTokens(userIds: userIds).filter { $0.userId != message.senderId }
        if tokens.isEmpty { return .done }
        let existing = Dictionary(
            try await store.pushLogEntries(ids: tokens.map { Self.entryId(message, $0) }).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let open = tokens.filter { existing[Self.entryId(message, $0)]?.status.isFinal != true }
        if open.isEmpty { return .done }
        let blockers = Set(try await store.blockers(of: message.senderId))
        let sender = try await chat.profiles.user(message.senderId)
        let inGroup = ConversationID.type(of: message.conversationId) == .group
        let groupName = inGroup ? try await store.group(id: String(message.conversationId.dropFirst(2)))?.name : nil

        var settled: [PushLogRecord] = []
        var calls: [Call] = []
        var digests: [PushTokenRecord] = []
        for userId in open.map(\.userId).distinct {
            let mine = open.filter { $0.userId == userId }
            func entry(_ token: PushTokenRecord, _ status: PushLogRecord.Status, _ reason: String?, attempts: Int? = nil) -> PushLogRecord {
                let previous = existing[Self.entryId(message, token)]
                return PushLogRecord(
                    id: Self.entryId(message, token), userId: userId, messageId: message.messageId, conversationId: message.conversationId,
                    provider: token.provider, tokenId: token.id, status: status, reason: reason,
                    attempts: attempts ?? previous?.attempts ?? 0, createdAt: previous?.createdAt ?? now)
            }
            let (reason, settings) = try await skipReason(for: userId, message: message, blockers: blockers)
            guard let settings else {
                // In a group, the everyday skips (a member reading, muting, off) are counted, not
                // logged: one message would otherwise write a row per member's device. A push
                // logged already (waiting for a retry) is closed with its reason all the same.
                let unlogged = reason == "left" || (inGroup && Self.countedOnlyInGroups.contains(reason))
                let logged = unlogged ? mine.filter { existing[Self.entryId(message, $0)] != nil } : mine
                settled += logged.map { entry($0, .skipped, reason) }
                if unlogged, reason != "left" { metrics.skipped.add(reason, mine.count - logged.count) }
                continue
            }
            let quiet = PushContent.isQuiet(settings.quietHours, at: now)
            let badge = Int(try await store.unreadTotal(userId: userId))
            let (title, body) = PushContent.text(of: message, sender: sender, groupName: groupName, preview: settings.preview)
            for token in mine {
                if token.provider == "email" {
                    if email == nil { settled.append(entry(token, .skipped, "unconfigured")) } else { digests.append(token) }
                    continue
                }
                guard let provider = providers[token.provider] else {
                    settled.append(entry(token, .skipped, "unconfigured"))
                    continue
                }
                let pending = entry(token, .pending, existing[Self.entryId(message, token)]?.reason, attempts: (existing[Self.entryId(message, token)]?.attempts ?? 0) + 1)
                calls.append(Call(
                    entry: pending, token: token,
                    notification: PushNotification(
                        pushId: pending.id, userId: userId, conversationId: message.conversationId, messageId: message.messageId,
                        title: title, body: body, badge: badge, quiet: quiet, timestamp: message.createdAt, attempt: pending.attempts),
                    provider: provider))
            }
        }
        try await store.savePushLog(settled)
        for entry in settled where entry.status == .skipped { metrics.skipped.add(entry.reason ?? "") }
        for token in digests { try await scheduleDigest(message, token: token, now: now) }

        // Each share of calls is logged as soon as it is answered: a run cut short (a crash, a
        // lapsed lease) repeats only the calls of its last share.
        var retryAfter: [Duration] = []
        for start in stride(from: 0, to: calls.count, by: policy.concurrency) {
            let share = Array(calls[start..<min(start + policy.concurrency, calls.count)])
            let results = await withTaskGroup(of: (Int, PushResult).self) { group in
                for (index, call) in share.enumerated() {
                    group.addTask {
                        let started = monotonicNanoseconds()
                        let result = await call.provider.send(call.notification, to: call.token)
                        metrics.sendDuration.observe(nanoseconds: monotonicNanoseconds() - started)
                        return (index, result)
                    }
                }
                var results = [PushResult?](repeating: nil, count: share.count)
                for await (index, result) in group { results[index] = result }
                return results
            }
            var finished: [PushLogRecord] = []
            for (call, result) in zip(share, results) {
                let (entry, wait) = try await settle(
                    call.entry, token: call.token, result: result ?? .retry(reason: "no answer", after: nil), lastRun: lastRun)
                finished.append(entry)
                if let wait { retryAfter.append(wait) }
            }
            try await store.savePushLog(finished)
        }
        guard let wait = retryAfter.max() else { return .done }
        return .retry("\(retryAfter.count) pushes to retry", after: wait)
    }

    /// Skips not logged for group messages (only counted).
    static let countedOnlyInGroups: Set<String> = ["online", "muted", "disabled"]

    /// Why a recipient gets no push of this message; otherwise (reason "") their push settings.
    func skipReason(
        for userId: String, message: MessageRecord, blockers: Set<String>
    ) async throws -> (reason: String, settings: PushSettingsRecord?) {
        if message.recalled { return ("recalled", nil) }
        // A device connected anywhere: the user is reading, or will be told by the socket.
        if !feed.directory.devices(of: userId).isEmpty { return ("online", nil) }
        let settings = try await store.pushSettings(userId: userId)
        if !settings.enabled { return ("disabled", nil) }
        if blockers.contains(userId) { return ("blocked", nil) }
        // No longer a member: the message is not theirs to hear of (not logged).
        guard let membership = try await store.membership(conversationId: message.conversationId, userId: userId) else {
            return ("left", nil)
        }
        let mentioned = message.atUsers.contains(userId) || message.atUsers.contains("all")
        if membership.muted, !mentioned { return ("muted", nil) }
        return ("", settings)
    }

    /// An entry after its provider answered, and the wait before it is tried again if it will be.
    func settle(
        _ pending: PushLogRecord, token: PushTokenRecord, result: PushResult, lastRun: Bool = false
    ) async throws -> (PushLogRecord, Duration?) {
        var entry = pending
        switch result {
        case .sent:
            entry.status = .sent
            entry.reason = nil
            entry.sentAt = chat.clock.now()
            metrics.sent.add(token.provider)
            return (entry, nil)
        case .deadToken(let reason):
            // The provider will never deliver to it again: it goes now, not at the next message.
            _ = try await store.deletePushToken(id: token.id, userId: token.userId)
            logger.info("dead push token deleted", metadata: ["provider": "\(token.provider)", "tokenId": "\(token.id)", "reason": "\(reason)"])
            entry.status = .failed
            entry.reason = reason
        case .failed(let reason):
            entry.status = .failed
            entry.reason = reason
        case .retry(let reason, let after):
            entry.reason = reason
            if entry.attempts < policy.attempts, !lastRun {
                return (entry, min(after ?? policy.delay(after: entry.attempts), Self.longestRetryAfter))
            }
            entry.status = .failed
        }
        metrics.failed.add("\(token.provider)|\(PushMetrics.label(entry.reason ?? ""))")
        return (entry, nil)
    }

    // MARK: E-mail digests

    /// E-mail windows are aligned to `emailDelay`; a window's digest goes one window after it
    /// ends, so it comes at least `emailDelay` after the message and one per window at most.
    func scheduleDigest(_ message: MessageRecord, token: PushTokenRecord, now: Int64) async throws {
        let window = policy.emailDelay.milliseconds
        let index = now / window
        let id = "email-\(token.id)-\(message.conversationId)-\(index)"
        // Only the window's first message posts its digest (later ones find the entry), so no
        // second copy is posted after JetStream's de-duplication window; the task goes first,
        // so a crash between the two leaves a task that makes the entry itself.
        guard try await store.pushLogEntries(ids: [id]).isEmpty else { return }
        let payload = FrameCoder.encode(DigestTask(userId: token.userId, tokenId: token.id, conversationId: message.conversationId, entryId: id))
        try await feed.queue.enqueue(WorkTask(
            id: id, kind: PushFeed.emailKind, payload: String(decoding: payload, as: UTF8.self), notBefore: (index + 2) * window))
        try await store.savePushLog([Self.digestEntry(id, task: DigestTask(userId: token.userId, tokenId: token.id, conversationId: message.conversationId, entryId: id), messageId: message.messageId, now: now)])
    }

    static func digestEntry(_ id: String, task: DigestTask, messageId: String, now: Int64) -> PushLogRecord {
        PushLogRecord(
            id: id, userId: task.userId, messageId: messageId, conversationId: task.conversationId, provider: "email", tokenId: task.tokenId,
            status: .pending, createdAt: now)
    }

    /// Sends a window's digest: what of the conversation is still unread, or nothing.
    func digest(_ task: DigestTask, lastRun: Bool = false) async throws -> TaskOutcome {
        var entry = try await store.pushLogEntries(ids: [task.entryId]).first
            ?? Self.digestEntry(task.entryId, task: task, messageId: "", now: chat.clock.now())
        if entry.status.isFinal { return .done }
        func finish(_ status: PushLogRecord.Status, _ reason: String) async throws -> TaskOutcome {
            entry.status = status
            entry.reason = reason
            try await store.savePushLog([entry])
            if status == .skipped { metrics.skipped.add(reason) }
            return .done
        }
        guard let token = try await store.pushTokens(userIds: [task.userId]).first(where: { $0.id == task.tokenId }) else {
            return try await finish(.skipped, "unregistered")
        }
        guard let email else { return try await finish(.skipped, "unconfigured") }
        let settings = try await store.pushSettings(userId: task.userId)
        if !settings.enabled { return try await finish(.skipped, "disabled") }
        guard let membership = try await store.membership(conversationId: task.conversationId, userId: task.userId) else {
            return try await finish(.skipped, "left")
        }
        // The newest page: what is unread of it, but for what blocked senders wrote.
        let blocked = Set(try await store.blocks(of: task.userId).map(\.userId))
        let page = try await store.messages(conversationId: task.conversationId, page: .before(nil, limit: 50))
        // In a conversation the user muted, only what mentions them (what made the digest due).
        let unread = page.messages.filter {
            $0.seq > membership.readSeq && !$0.isEvent && !$0.recalled && $0.senderId != task.userId && !blocked.contains($0.senderId)
                && (!membership.muted || $0.atUsers.contains(task.userId) || $0.atUsers.contains("all"))
        }
        let more = page.hasMore && (page.messages.first?.seq ?? 0) > membership.readSeq + 1
        guard let last = unread.last else { return try await finish(.skipped, "read") }
        if entry.attempts == 0, emailsPerAddress.take(token.token, now: chat.clock.now()) != nil {
            return try await finish(.skipped, "rate_limited")
        }
        let composed = try await compose(
            unread, more: more, conversationId: task.conversationId, to: token.token, id: entry.id, preview: settings.preview)
        entry.attempts += 1
        entry.messageId = last.messageId
        entry.status = .pending
        try await store.savePushLog([entry])
        let started = monotonicNanoseconds()
        let result = await email.send(composed)
        metrics.sendDuration.observe(nanoseconds: monotonicNanoseconds() - started)
        let (settled, wait) = try await settle(entry, token: token, result: result, lastRun: lastRun)
        try await store.savePushLog([settled])
        return wait.map { .retry("e-mail to retry", after: $0) } ?? .done
    }

    /// The digest e-mail: the last 20 unread messages, sender and preview each (`more`: there
    /// are older unread ones than `unread` holds).
    func compose(
        _ unread: [MessageRecord], more: Bool, conversationId: String, to address: String, id: String, preview: Bool
    ) async throws -> OutgoingEmail {
        let count = "\(unread.count)\(more ? "+" : "")"
        let noun = unread.count == 1 && !more ? "message" : "messages"
        guard preview else {
            return OutgoingEmail(
                to: address, subject: "New messages", body: "You have \(count) unread \(noun) in Parley. Open Parley to read them.\n", id: id)
        }
        let shown = unread.suffix(20)
        let names = try await chat.profiles.users(Set(shown.map(\.senderId)))
        func name(_ id: String) -> String {
            PushContent.clipped(names[id].map { $0.displayName.isEmpty ? $0.username : $0.displayName } ?? "Someone", to: 100, bytes: 200)
        }
        let group = ConversationID.type(of: conversationId) == .group ? try await store.group(id: String(conversationId.dropFirst(2))) : nil
        let groupName = group.map { PushContent.clipped($0.name, to: 100, bytes: 200) }
        let subject = groupName.map { "New messages in \($0)" } ?? "New messages from \(name(unread.last!.senderId))"
        var body = "You have \(count) unread \(noun)"
        body += groupName.map { " in \($0):\n\n" } ?? ":\n\n"
        for message in shown { body += "\(name(message.senderId)): \(PushContent.body(of: message))\n" }
        if unread.count > shown.count || more { body += "…and more.\n" }
        return OutgoingEmail(to: address, subject: subject, body: body, id: id)
    }
}
