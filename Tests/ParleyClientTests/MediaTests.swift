import Foundation
import ParleyClient
import ParleyProtocol
import Synchronization
import Testing

/// The tus state machine on its own: events in, actions out, no socket.
@Suite("Resumable upload machine")
struct ResumableUploadTests {
    /// Fixed waits (no jitter), so the backoff can be checked.
    static let steady = Backoff(base: .milliseconds(100), cap: .seconds(1), jitter: 0)

    /// Whether a wait is `milliseconds` long, give or take rounding in Duration arithmetic.
    static func waits(_ wait: Duration, _ milliseconds: Int) -> Bool {
        wait > .milliseconds(milliseconds) - .microseconds(1) && wait < .milliseconds(milliseconds) + .microseconds(1)
    }

    @Test func uploadsAFileInThreeChunks() {
        let upload = Machine(length: 10, chunkSize: 4, maxRetries: 3)
        #expect(upload.start() == .create)
        #expect(upload.handle(.created(location: "http://node/v1/media/uploads/u1")) == .patch(from: 0, length: 4))
        #expect(upload.state.location == "http://node/v1/media/uploads/u1")
        #expect(upload.handle(.patched(offset: 4)) == .patch(from: 4, length: 4))
        #expect(upload.handle(.patched(offset: 8)) == .patch(from: 8, length: 2), "the last chunk is what is left")
        #expect(upload.handle(.patched(offset: 10)) == .finish)
        #expect(upload.state.offset == 10 && upload.state.failures == 0 && upload.state.wait == .zero)
    }

    @Test func aFailureMidwayAsksTheServerAndResumesFromItsOffset() {
        let upload = Machine(length: 10, chunkSize: 4, maxRetries: 3)
        _ = upload.start()
        _ = upload.handle(.created(location: "u1"))
        #expect(upload.handle(.patched(offset: 4)) == .patch(from: 4, length: 4))
        // The connection drops in the second chunk: where the server is, only it knows.
        #expect(upload.handle(.failed) == .head)
        #expect(Self.waits(upload.state.wait, 100), "a retry waits first")
        #expect(upload.state.failures == 1)
        // It kept two of the chunk's bytes: go on from there, not from 4 or 8.
        #expect(upload.handle(.headed(offset: 6)) == .patch(from: 6, length: 4))
        #expect(upload.state.wait == .zero)
        #expect(upload.state.failures == 0, "progress was made: the retry budget starts over")
        #expect(upload.handle(.patched(offset: 10)) == .finish)
    }

    @Test func givesUpAfterTheRetryBudget() {
        let upload = Machine(length: 10, chunkSize: 4, maxRetries: 2)
        _ = upload.start()
        _ = upload.handle(.created(location: "u1"))
        #expect(upload.handle(.failed) == .head)
        #expect(Self.waits(upload.state.wait, 100))
        #expect(upload.handle(.headed(offset: 0)) == .patch(from: 0, length: 4), "no progress: the budget is not refilled")
        #expect(upload.handle(.failed) == .head)
        #expect(Self.waits(upload.state.wait, 200), "the waits back off")
        #expect(upload.handle(.headed(offset: 0)) == .patch(from: 0, length: 4))
        #expect(upload.handle(.failed) == .giveUp)
        #expect(upload.state.hasGivenUp)
        #expect(upload.handle(.headed(offset: 4)) == .giveUp, "giving up is final")
    }

    @Test func aFailedHeadIsRetriedAndAFailedCreationIsMadeAgain() {
        let upload = Machine(length: 10, chunkSize: 4, maxRetries: 3)
        #expect(upload.start() == .create)
        #expect(upload.handle(.failed) == .create, "no upload yet: create it again")
        #expect(upload.handle(.created(location: "u1")) == .patch(from: 0, length: 4))
        #expect(upload.state.failures == 0, "creation's failures do not eat into the PATCHes' budget")
        #expect(upload.handle(.failed) == .head)
        #expect(upload.handle(.failed) == .head, "the HEAD itself failed: ask again")
        #expect(upload.handle(.headed(offset: 10)) == .finish, "the lost PATCH had arrived after all")
        #expect(upload.handle(.failed) == .finish, "fetching the result is safe to repeat")
    }

    @Test func anOffsetTheFileCannotHaveIsNotTrusted() {
        let upload = Machine(length: 10, chunkSize: 4, maxRetries: 3)
        _ = upload.start()
        _ = upload.handle(.created(location: "u1"))
        #expect(upload.handle(.patched(offset: 12)) == .head)
        #expect(upload.state.offset == 0)
        #expect(upload.handle(.patched(offset: 4)) == .giveUp, "an answer to a request never made: out of step")
    }

    @Test func mediaIsSentByItsKindAsJustItsId() {
        func info(kind: String) -> MediaInfo {
            MediaInfo(mediaId: "m_1", url: "/v1/media/m_1", mimeType: "x/y", size: 1, sha256: "", kind: kind, createdAt: 0)
        }
        #expect(["image", "video", "audio", "file", "sticker"].map { info(kind: $0).messageContentType } == ["image", "video", "audio", "file", "file"])
        #expect(info(kind: "image").messageContent == .object(["mediaId": .string("m_1")]))
    }

    @Test func mediaPathsResolveOnTheServersBase() {
        func url(_ path: String, on server: String) -> String {
            ParleyClient(configuration: ClientConfiguration(serverURL: URL(string: server)!, deviceId: "d")).mediaURL(path: path).absoluteString
        }
        #expect(url("/v1/media/m_1", on: "http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1/media/m_1")
        #expect(url("/v1/media/m_1/thumbnail", on: "https://example.com/chat/") == "https://example.com/chat/v1/media/m_1/thumbnail")
        #expect(url("/v1/media/m_1?access_token=t", on: "http://127.0.0.1:8080") == "http://127.0.0.1:8080/v1/media/m_1?access_token=t")
        #expect(url("https://cdn.example.com/a.jpg", on: "http://127.0.0.1:8080") == "https://cdn.example.com/a.jpg")
    }
}

/// Upload, send and download against a real node.
@Suite("Client media", .serialized)
struct MediaTests {
    @Test func uploadsBytesAndDownloadsThemBack() async throws {
        let node = TestNode()
        try await node.start()
        let alice = try await node.register(TestNode.uniqueName("alice"))
        let bytes = Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        let progress = ProgressLog()

        let info = try await alice.upload(bytes, name: "notes.bin", progress: progress.record)
        #expect(info.size == Int64(bytes.count) && info.kind == "file" && info.name == "notes.bin")
        #expect(info.url == "/v1/media/\(info.mediaId)" && info.sha256.count == 64)
        #expect(alice.mediaURL(info).absoluteString == "\(node.url.absoluteString)/v1/media/\(info.mediaId)")
        #expect(progress.reports.last == Report(sent: Int64(bytes.count), total: Int64(bytes.count)))
        #expect(try await alice.download(info.mediaId) == bytes)

        // The server's refusals come as the SDK's error.
        let empty = await serverError { try await alice.upload(Data()) }
        #expect(empty == .badRequest)
        let unknown = await serverError { try await alice.download("m_" + String(repeating: "a", count: 26)) }
        #expect(unknown == .notFound)
        await node.remove()
    }

    @Test func uploadsResumablyInChunksWithProgress() async throws {
        let node = TestNode()
        try await node.start()
        let alice = try await node.register(TestNode.uniqueName("alice"))
        let bytes = Data((0..<300_000).map { UInt8(truncatingIfNeeded: ($0 &* 7919) >> 3) })
        let file = URL(fileURLWithPath: NSTemporaryDirectory() + "parley-media-\(UUID().uuidString).bin")
        try bytes.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let progress = ProgressLog()

        let info = try await alice.uploadResumably(file, chunkSize: 100_000, progress: progress.record)
        #expect(info.size == 300_000 && info.name == file.lastPathComponent)
        let reports = progress.reports
        #expect(reports.count >= 3, "at least one report per chunk")
        #expect(zip(reports, reports.dropFirst()).allSatisfy { pair in pair.0.sent < pair.1.sent }, "progress only goes forward: \(reports)")
        #expect(reports.allSatisfy { $0.total == 300_000 })
        #expect(reports.last?.sent == 300_000)
        #expect(try await alice.download(info.mediaId) == bytes)
        await node.remove()
    }

    @Test func sentMediaIsReadableByTheRecipientAndNobodyElse() async throws {
        let node = TestNode()
        try await node.start()
        let alice = try await node.register(TestNode.uniqueName("alice")), bob = try await node.register(TestNode.uniqueName("bob"))
        let carol = try await node.register(TestNode.uniqueName("carol"))
        await alice.start()
        await bob.start()
        let bobId = try #require(await bob.userId)
        let text = Data("minutes of the meeting\n".utf8)
        let file = URL(fileURLWithPath: NSTemporaryDirectory() + "minutes-\(UUID().uuidString.prefix(8)).txt")
        try text.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let sent = try await alice.send(file: file, to: bobId)
        #expect(sent.media.kind == "file" && sent.ack.seq == 1)
        let history = try await bob.history(HistoryRequest(conversationId: sent.ack.conversationId, afterSeq: 0))
        let message = try #require(history.messages.first)
        #expect(message.contentType == "file")
        #expect(message.content?["mediaId"]?.stringValue == sent.media.mediaId)
        #expect(message.content?["name"]?.stringValue == file.lastPathComponent, "the server fills the name from the upload")
        let path = try #require(message.content?["url"]?.stringValue)
        #expect(try await bob.download(path: path) == text)
        let stranger = await serverError { try await carol.download(sent.media.mediaId) }
        #expect(stranger == .notFound, "only the uploader and the conversation's members may read it")

        await alice.stop()
        await bob.stop()
        await node.remove()
    }
}

/// A `ResumableUpload` behind a reference: `#expect` cannot take a mutating call
/// (swiftlang/swift-testing#1360), a method of a class it can.
private final class Machine {
    private(set) var state: ResumableUpload

    init(length: Int64, chunkSize: Int64, maxRetries: Int) {
        state = ResumableUpload(length: length, chunkSize: chunkSize, maxRetries: maxRetries, backoff: ResumableUploadTests.steady)
    }

    func start() -> ResumableUpload.Action { state.start() }
    func handle(_ event: ResumableUpload.Event) -> ResumableUpload.Action { state.handle(event) }
}

/// The server's error code a call failed with; nil when it succeeded or failed otherwise.
private func serverError<T>(_ call: () async throws -> T) async -> ErrorCode? {
    do {
        _ = try await call()
        return nil
    } catch ParleyClientError.server(let failure) {
        return failure.code
    } catch {
        return nil
    }
}

private struct Report: Sendable, Equatable, CustomStringConvertible {
    var sent: Int64
    var total: Int64
    var description: String { "\(sent)/\(total)" }
}

/// Progress callbacks as they came (from URLSession's queue, hence the lock).
private final class ProgressLog: Sendable {
    private let log = Mutex<[Report]>([])

    var reports: [Report] { log.withLock { $0 } }

    var record: @Sendable (Int64, Int64) -> Void {
        { [self] sent, total in log.withLock { $0.append(Report(sent: sent, total: total)) } }
    }
}
