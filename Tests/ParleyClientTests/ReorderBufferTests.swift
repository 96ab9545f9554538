import ParleyClient
import Testing

@Suite("Reorder buffer")
struct ReorderBufferTests {
    @Test func releasesInSeqOrderWhateverTheArrivalOrder() {
        var buffer = ReorderBuffer<Int64>()
        var released: [Int64] = []
        for seq in [3, 1, 5, 2, 2, 4, 1, 6] as [Int64] {
            released += buffer.accept(seq, seq: seq, in: "c")
        }
        #expect(released == [1, 2, 3, 4, 5, 6])
        #expect(buffer.gaps.isEmpty)
        #expect(buffer.position(of: "c") == 6)
    }

    @Test func reportsWhatIsMissing() {
        var buffer = ReorderBuffer<Int64>()
        #expect(buffer.accept(1, seq: 1, in: "a") == [1])
        #expect(buffer.accept(4, seq: 4, in: "a").isEmpty)
        #expect(buffer.accept(9, seq: 9, in: "b").isEmpty)
        let gaps = buffer.gaps.sorted { $0.conversationId < $1.conversationId }
        #expect(gaps.map(\.conversationId) == ["a", "b"])
        #expect(gaps.map(\.after) == [1, 0])
        #expect(gaps.map(\.through) == [4, 9])
        #expect(buffer.accept(3, seq: 3, in: "a").isEmpty)
        #expect(buffer.accept(2, seq: 2, in: "a") == [2, 3, 4])
    }

    @Test func conversationsAreIndependent() {
        var buffer = ReorderBuffer<String>()
        #expect(buffer.accept("a2", seq: 2, in: "a").isEmpty)
        #expect(buffer.accept("b1", seq: 1, in: "b") == ["b1"])
        #expect(buffer.accept("a1", seq: 1, in: "a") == ["a1", "a2"])
    }

    @Test func skippingStartsFromAPositionAndKeepsWhatIsAhead() {
        var buffer = ReorderBuffer<Int64>()
        #expect(buffer.accept(12, seq: 12, in: "c").isEmpty)
        #expect(buffer.skip("c", through: 10).isEmpty)
        #expect(buffer.accept(9, seq: 9, in: "c").isEmpty)
        #expect(buffer.accept(11, seq: 11, in: "c") == [11, 12])
        #expect(buffer.skip("c", through: 5).isEmpty)
        #expect(buffer.position(of: "c") == 12)
    }
}

@Suite("Backoff")
struct BackoffTests {
    @Test func growsExponentiallyUpToTheCapWithJitter() {
        var backoff = Backoff(base: .milliseconds(100), cap: .seconds(1))
        #expect(backoff.next(random: 1) == .milliseconds(100))
        #expect(backoff.next(random: 1) == .milliseconds(200))
        #expect(backoff.next(random: 0.5) == .milliseconds(200))
        #expect(backoff.next(random: 1) == .milliseconds(800))
        #expect(backoff.next(random: 1) == .seconds(1))
        #expect(backoff.next(random: 0) == .zero)
        backoff.reset()
        #expect(backoff.next(random: 1) == .milliseconds(100))
        var steady = Backoff(base: .milliseconds(100), cap: .seconds(1), jitter: 0)
        #expect(steady.next(random: 0) == .milliseconds(100))
        #expect(steady.next(random: 0.3) == .milliseconds(200))
    }
}
