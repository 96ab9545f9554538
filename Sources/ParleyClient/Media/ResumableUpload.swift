/// The client side of a tus 1.0 upload (core protocol + creation), as a pure state machine.
///
/// It performs no I/O: the driver (`ResumableUploadDriver`) tells it what the server answered
/// (`Event`) and it answers with the next request to make (`Action`). That keeps the protocol
/// logic (which chunk comes next, when to ask the server where it is, when to stop trying)
/// testable without a socket, and keeps the driver a thin loop around URLSession.
///
/// ```
/// start()                        → .create
/// created(location, 0)           → .patch(from: 0, length: chunk)
/// patched(offset)                → .patch(from: offset, …)   … or .finish at the end
/// failed                         → .head (wait `wait` first), or .giveUp when out of retries
/// headed(offset)                 → .patch(from: offset, …)   (resume where the server is)
/// ```
///
/// The server's `Upload-Offset` is the only truth about progress: after any failure the machine
/// asks (HEAD) instead of guessing, because a dropped PATCH may have delivered part of its bytes
/// (the server keeps them).
///
/// Retries are bounded per stall, not per upload: `maxRetries` consecutive failures without the
/// confirmed offset growing end the upload. A flaky link that keeps making progress is allowed
/// to finish a large file; one that makes none gives up after a bounded time.
public struct ResumableUpload: Sendable {
    /// What the server answered to the last action.
    public enum Event: Sendable, Equatable {
        /// The creation `POST` answered `201` with `Location` and `Upload-Offset` (0 unless the
        /// creation carried bytes).
        case created(location: String, offset: Int64 = 0)
        /// A `PATCH` answered `204` with this new `Upload-Offset`.
        case patched(offset: Int64)
        /// A `HEAD` answered `200` with this `Upload-Offset`.
        case headed(offset: Int64)
        /// The last request failed in a way worth retrying: the connection dropped, it timed
        /// out, the offsets disagreed (`409`), the upload was busy (`423`), the server was
        /// overloaded (`429`, `5xx`). Refusals (`413`, `415`, `404`, …) are not events: the
        /// driver surfaces them at once, as retrying cannot change the answer.
        case failed
    }

    /// The next request to make.
    public enum Action: Sendable, Equatable {
        /// `POST` the creation request (`Upload-Length`, `Upload-Metadata`).
        case create
        /// `PATCH` `length` bytes of the file starting at byte `from`, with `Upload-Offset: from`.
        case patch(from: Int64, length: Int64)
        /// `HEAD` the upload to learn the server's offset.
        case head
        /// Every byte is on the server: fetch the result (`GET` the location).
        case finish
        /// Out of retries: stop and report the last failure.
        case giveUp
    }

    private enum Phase: Sendable {
        case idle, creating, uploading, checking, finishing, gaveUp
    }

    /// The file's size in bytes (`Upload-Length`).
    public let length: Int64
    /// The most bytes one `PATCH` carries.
    public let chunkSize: Int64
    /// How many consecutive failures without progress are retried before giving up.
    public let maxRetries: Int
    /// The upload's URL, once created.
    public private(set) var location: String?
    /// Bytes the server has confirmed holding.
    public private(set) var offset: Int64 = 0
    /// Consecutive failures since the confirmed offset last grew (or since creation).
    public private(set) var failures = 0
    /// How long to wait before performing the action last returned: zero, except for a retry,
    /// which waits the next step of the backoff so a struggling server is not hammered.
    public private(set) var wait: Duration = .zero

    private var backoff: Backoff
    private var phase = Phase.idle

    /// - Parameters:
    ///   - backoff: waits between retries; it starts over whenever the upload makes progress.
    ///     Its jitter is random: pass `jitter: 0` for fixed waits (tests).
    public init(length: Int64, chunkSize: Int64 = 4 << 20, maxRetries: Int = 5, backoff: Backoff = Backoff()) {
        precondition(length >= 0, "a file has no negative length")
        precondition(chunkSize > 0, "a chunk carries at least one byte")
        self.length = length
        self.chunkSize = chunkSize
        self.maxRetries = max(0, maxRetries)
        self.backoff = backoff
    }

    /// Whether the machine has given up (every further event answers `.giveUp`).
    public var hasGivenUp: Bool { phase == .gaveUp }

    /// The first action: create the upload.
    public mutating func start() -> Action {
        wait = .zero
        phase = .creating
        return .create
    }

    /// The next action after the server's answer to the last one.
    public mutating func handle(_ event: Event) -> Action {
        wait = .zero
        switch (phase, event) {
        case (.gaveUp, _):
            return .giveUp
        case (_, .failed):
            return retry()
        case (.creating, .created(let location, let offset)):
            self.location = location
            // A created upload is progress even at offset 0: the failures counted were the
            // creation's, and the PATCHes deserve a budget of their own.
            failures = 0
            backoff.reset()
            return advance(to: offset)
        case (.uploading, .patched(let offset)), (.checking, .headed(let offset)):
            return advance(to: offset)
        default:
            // An answer to a request this machine did not ask for: the driver is out of step
            // with it, and continuing could send bytes at the wrong offset.
            phase = .gaveUp
            return .giveUp
        }
    }

    /// Moves to the offset the server reported and picks the next chunk.
    private mutating func advance(to reported: Int64) -> Action {
        guard (0...length).contains(reported) else {
            // The server reported an offset this file cannot have: ask again rather than trust it.
            return retry()
        }
        if reported > offset {
            failures = 0
            backoff.reset()
        }
        // Taken even when lower than before: the server's offset is where the next PATCH must
        // start, whatever was confirmed earlier.
        offset = reported
        if offset == length {
            phase = .finishing
            return .finish
        }
        phase = .uploading
        return .patch(from: offset, length: min(chunkSize, length - offset))
    }

    private mutating func retry() -> Action {
        failures += 1
        guard failures <= maxRetries else {
            phase = .gaveUp
            return .giveUp
        }
        wait = backoff.next()
        switch phase {
        case .idle, .creating where location == nil:
            phase = .creating
            return .create
        case .finishing:
            // The GET of the result is safe to repeat.
            return .finish
        default:
            // Whatever was lost in flight, the server knows how much of it arrived.
            phase = .checking
            return .head
        }
    }
}
