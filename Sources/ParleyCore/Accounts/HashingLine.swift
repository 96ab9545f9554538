import Synchronization

/// The queue in front of the password hasher. bcrypt is slow on purpose, and the thread pool
/// has one thread per core: 60 registrations at once once made a login wait 3.5 s. So at
/// most `slots` jobs run; checks of existing passwords (logins) go first and may use every
/// slot; new hashes (registrations, password changes) use at most `slots - 1` (one, on one
/// core) and at most `deferrableWaiting` of them wait: beyond that they are refused with
/// `unavailable` instead of piling up.
public final class HashingLine: Sendable {
    public enum Priority: Sendable {
        /// Checking a password: a user is waiting to log in.
        case urgent
        /// Making a new hash: may be refused when the line is long.
        case deferrable
    }

    private struct Waiter {
        var priority: Priority
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var running = 0
        var runningDeferrable = 0
        var urgent: [Waiter] = []
        var deferrable: [Waiter] = []
        /// Checks started while a new hash waited: past `fairness`, the hash goes next, so a
        /// stream of (even correct) logins cannot starve registrations for ever.
        var passedOver = 0
    }

    /// Checks that may go ahead of a waiting new hash before it gets the next free slot.
    static let fairness = 4

    let slots: Int
    let deferrableSlots: Int
    let urgentWaiting: Int
    let deferrableWaiting: Int
    private let state = Mutex(State())

    /// - Parameter slots: jobs at once: the hashing threads (one per core).
    public init(slots: Int, urgentWaiting: Int = 256, deferrableWaiting: Int = 16) {
        self.slots = max(1, slots)
        self.deferrableSlots = max(1, self.slots - 1)
        self.urgentWaiting = urgentWaiting
        self.deferrableWaiting = deferrableWaiting
    }

    /// Jobs waiting for a slot, by priority (for metrics and tests).
    public var waiting: (urgent: Int, deferrable: Int) {
        state.withLock { ($0.urgent.count, $0.deferrable.count) }
    }

    /// Runs `body` when a slot is free; throws `unavailable` when the line is full.
    public func run<T: Sendable>(_ priority: Priority, _ body: () async throws -> T) async throws -> T {
        try await acquire(priority)
        defer { release(priority) }
        return try await body()
    }

    private func acquire(_ priority: Priority) async throws {
        enum Decision { case run, wait, refuse }
        let decision = state.withLock { state -> Decision in
            if canStart(priority, state) {
                start(priority, &state)
                return .run
            }
            let full = priority == .urgent ? state.urgent.count >= urgentWaiting : state.deferrable.count >= deferrableWaiting
            return full ? .refuse : .wait
        }
        switch decision {
        case .run: return
        case .refuse: throw ChatError(.unavailable, "the server is busy; retry in a second", retryAfterMs: 1_000)
        case .wait:
            await withCheckedContinuation { continuation in
                // Checked again under the lock: a slot may have been freed since.
                let startNow = state.withLock { state -> Bool in
                    if canStart(priority, state) {
                        start(priority, &state)
                        return true
                    }
                    let waiter = Waiter(priority: priority, continuation: continuation)
                    if priority == .urgent { state.urgent.append(waiter) } else { state.deferrable.append(waiter) }
                    return false
                }
                if startNow { continuation.resume() }
            }
        }
    }

    private func canStart(_ priority: Priority, _ state: State) -> Bool {
        guard state.running < slots else { return false }
        switch priority {
        case .urgent: return true
        // Behind every waiting check, and never in every slot.
        case .deferrable: return state.urgent.isEmpty && state.runningDeferrable < deferrableSlots
        }
    }

    private func start(_ priority: Priority, _ state: inout State) {
        state.running += 1
        if priority == .deferrable { state.runningDeferrable += 1 }
    }

    /// Frees the slot and hands it to the next waiter: a check first, else a new hash if one
    /// may run; a new hash passed over `fairness` times goes before the checks.
    private func release(_ priority: Priority) {
        let next = state.withLock { state -> Waiter? in
            state.running -= 1
            if priority == .deferrable { state.runningDeferrable -= 1 }
            let hashMayRun = !state.deferrable.isEmpty && state.runningDeferrable < deferrableSlots
            if hashMayRun, state.urgent.isEmpty || state.passedOver >= Self.fairness {
                state.passedOver = 0
                let waiter = state.deferrable.removeFirst()
                start(.deferrable, &state)
                return waiter
            }
            if !state.urgent.isEmpty {
                if hashMayRun { state.passedOver += 1 }
                let waiter = state.urgent.removeFirst()
                start(.urgent, &state)
                return waiter
            }
            return nil
        }
        next?.continuation.resume()
    }
}
