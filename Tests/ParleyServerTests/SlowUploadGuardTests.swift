import NIOCore
@testable import ParleyServer
import Synchronization
import Testing

@Suite("Slow uploads")
struct SlowUploadGuardTests {
    /// A sender that trickles is cut off at the end of the window it fell short in.
    @Test func aTricklingSenderIsDisconnected() async throws {
        let (body, input) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        input.yield(ByteBuffer(bytes: [1, 2, 3]))
        let started = ContinuousClock.now
        await #expect(throws: ChannelError.self) {
            try await SlowUploadGuard.run(
                body, cutOff: { input.finish(throwing: ChannelError.ioOnClosedChannel) }, minimum: 1_000, window: .milliseconds(200)
            ) { bytes in
                var count = 0
                for try await chunk in bytes { count += chunk.readableBytes }
                return count
            }
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    /// One that keeps up finishes, and the watch ends with the body (a generous window: a loaded
    /// machine delaying the feeder must not make it look slow).
    @Test func aSteadySenderIsLeftAlone() async throws {
        let (body, input) = AsyncThrowingStream<ByteBuffer, any Error>.makeStream()
        let cut = Atomic<Bool>(false)
        let feeder = Task {
            for _ in 0..<6 {
                input.yield(ByteBuffer(bytes: Array(repeating: 7, count: 2_000)))
                try await Task.sleep(for: .milliseconds(50))
            }
            input.finish()
        }
        let received = try await SlowUploadGuard.run(
            body, cutOff: { cut.store(true, ordering: .relaxed) }, minimum: 1, window: .seconds(2)
        ) { bytes in
            var count = 0
            for try await chunk in bytes { count += chunk.readableBytes }
            return count
        }
        try await feeder.value
        #expect(received == 12_000)
        let wasCut = cut.load(ordering: .relaxed)
        #expect(!wasCut)
    }
}
