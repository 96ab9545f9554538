import Synchronization

/// The client frames of one session that wait to be handled, in arrival order, and whether a
/// task is handling them. There is a task only while there are frames: an idle session has none.
final class SessionInbox: Sendable {
    enum Item: Sendable {
        case text(String)
        case binary
    }

    /// Frames waiting before the socket stops being read (the client's sends then wait in its
    /// own socket buffer: a flooding client costs the node no memory).
    static let pauseAt = 32
    /// Frames left when reading resumes.
    static let resumeAt = 8

    private struct State {
        var items: [Item] = []
        var running = false
        var paused = false
        var limits: SessionLimits
    }
    private let state: Mutex<State>

    init(limits: SessionLimits) {
        state = Mutex(State(limits: limits))
    }

    /// Queues a frame. `start`: no task is handling this session's frames; the caller starts
    /// one. `pause`: the caller stops reading the socket.
    func add(_ item: Item) -> (start: Bool, pause: Bool) {
        state.withLock { state in
            state.items.append(item)
            let start = !state.running
            state.running = true
            let pause = !state.paused && state.items.count >= Self.pauseAt
            if pause { state.paused = true }
            return (start, pause)
        }
    }

    /// The session's rate-limit state, for the task that starts handling frames.
    var limits: SessionLimits { state.withLock { $0.limits } }

    /// Saves the handling task's limits and takes the next frame; nil ends the task (the next
    /// frame to arrive starts another). `resume`: the caller starts reading the socket again.
    func next(saving limits: SessionLimits) -> (item: Item?, resume: Bool) {
        state.withLock { state in
            state.limits = limits
            let resume = state.paused && state.items.count <= Self.resumeAt
            if resume { state.paused = false }
            guard !state.items.isEmpty else {
                state.running = false
                return (nil, resume)
            }
            return (state.items.removeFirst(), resume)
        }
    }

    /// Forgets what waits (the session is gone).
    func discard() {
        state.withLock { $0.items.removeAll() }
    }
}
