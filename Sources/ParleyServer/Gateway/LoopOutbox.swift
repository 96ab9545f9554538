import NIOCore
import Synchronization

/// The frames waiting to be written to the sessions of one event loop.
///
/// Deliveries are posted from any thread and written by one task on the loop, which drains
/// everything posted so far: one thread hop per batch instead of one per session and frame,
/// and under load each session's frames of a batch leave in one flush (one system call).
/// When the node is idle a batch is a single delivery and nothing waits.
final class LoopOutbox: Sendable {
    private struct Post {
        var frame: ByteBuffer
        var sessions: [ClientSession]
    }
    private struct State {
        var posts: [Post] = []
        var scheduled = false
    }

    let loop: any EventLoop
    private let state = Mutex(State())
    private let allocator = ByteBufferAllocator()

    init(loop: any EventLoop) {
        self.loop = loop
    }

    /// Queues `frame` for `sessions` (all on this loop), in order after earlier posts.
    func post(_ frame: ByteBuffer, to sessions: [ClientSession]) {
        let schedule = state.withLock { state in
            state.posts.append(Post(frame: frame, sessions: sessions))
            defer { state.scheduled = true }
            return !state.scheduled
        }
        if schedule { loop.execute { self.drain() } }
    }

    /// How every live `message` frame begins (`Frames.message` writes the type first), so
    /// messages delivered are counted without parsing a frame.
    private static let messagePrefix = Array(#"{"type":"message","#.utf8)

    private func drain() {
        let posts = state.withLock { state in
            state.scheduled = false
            defer { state.posts.removeAll(keepingCapacity: true) }
            return state.posts
        }
        var touched: [ClientSession] = []
        for post in posts {
            let isMessage = post.frame.readableBytesView.starts(with: Self.messagePrefix)
            // Encoded once for every session of the post (and compressed once for those that
            // negotiated permessage-deflate).
            var plain: ByteBuffer?
            var deflated: [Int32: ByteBuffer?] = [:]
            for session in post.sessions {
                let wire: ByteBuffer
                if let deflate = session.deflate,
                    let compressed = deflated[deflate.windowBits, default: deflate.compress(post.frame, allocator: allocator)]
                {
                    deflated[deflate.windowBits] = compressed
                    wire = WireFrame.text(compressed, compressed: true, allocator: allocator)
                } else {
                    if plain == nil { plain = WireFrame.text(post.frame, allocator: allocator) }
                    wire = plain!
                }
                if session.stage(wire, isMessage: isMessage) { touched.append(session) }
            }
        }
        for session in touched { session.flushStaged() }
    }
}

/// The outboxes of a node, one per event loop.
final class Outboxes: Sendable {
    private let byLoop = Mutex<[ObjectIdentifier: LoopOutbox]>([:])

    func outbox(for loop: any EventLoop) -> LoopOutbox {
        byLoop.withLock { all in
            let key = ObjectIdentifier(loop)
            if let existing = all[key] { return existing }
            let outbox = LoopOutbox(loop: loop)
            all[key] = outbox
            return outbox
        }
    }
}
