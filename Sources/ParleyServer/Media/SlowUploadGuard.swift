import NIOCore
import Synchronization

/// Cuts off an upload whose sender trickles: fewer than `minimum` bytes in any `window` calls
/// `cutOff` (the routes close the connection, which ends the body with an error). Without it a few accounts sending a byte a minute would hold every upload
/// slot of a node for as long as they liked (any byte resets the idle timeout).
enum SlowUploadGuard {
    /// Runs `body` with a counted view of `bytes`, watching its pace until the bytes end.
    static func run<Bytes: AsyncSequence & Sendable, T: Sendable>(
        _ bytes: Bytes, cutOff: @escaping @Sendable () -> Void, minimum: Int64 = 120 << 10, window: Duration = .seconds(30),
        _ body: (CountedBytes<Bytes>) async throws -> T
    ) async throws -> T where Bytes.Element == ByteBuffer {
        let counter = ByteCounter()
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                var seen: Int64 = 0
                while !counter.finished {
                    try await Task.sleep(for: window)
                    let now = counter.count
                    if !counter.finished, now - seen < minimum {
                        cutOff()
                        return
                    }
                    seen = now
                }
            }
            let result = try await body(CountedBytes(base: bytes, counter: counter))
            counter.finish()
            group.cancelAll()
            return result
        }
    }
}

/// Bytes received so far, and whether the body ended.
final class ByteCounter: Sendable {
    private let received = Atomic<Int64>(0)
    private let done = Atomic<Bool>(false)

    var count: Int64 { received.load(ordering: .relaxed) }
    var finished: Bool { done.load(ordering: .relaxed) }
    func add(_ amount: Int) { received.add(Int64(amount), ordering: .relaxed) }
    func finish() { done.store(true, ordering: .relaxed) }
}

/// A body whose chunks are counted as they are read; its end (or failure) stops the watch.
struct CountedBytes<Base: AsyncSequence & Sendable>: AsyncSequence, Sendable where Base.Element == ByteBuffer {
    typealias Element = ByteBuffer
    let base: Base
    let counter: ByteCounter

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: Base.AsyncIterator
        let counter: ByteCounter

        mutating func next() async throws -> ByteBuffer? {
            do {
                guard let chunk = try await base.next() else {
                    counter.finish()
                    return nil
                }
                counter.add(chunk.readableBytes)
                return chunk
            } catch {
                counter.finish()
                throw error
            }
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: base.makeAsyncIterator(), counter: counter) }
}
