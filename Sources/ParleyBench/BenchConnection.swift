import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging

/// One raw WebSocket session of the load generator: frames out through a queue, frames in
/// to a handler. No reliability layer: the generator measures the server, not the SDK.
final class BenchConnection: Sendable {
    private let writer: AsyncStream<String>.Continuation
    private let lines: AsyncStream<String>
    let task: Task<Void, Never>

    /// Opens a session; `onFrame` runs for every text frame, in order, on the reader task.
    /// `ready` resumes when the `connected` frame arrived (or with an error).
    static func open(
        url: String, token: String, logger: Logger, onFrame: @escaping @Sendable (String) -> Void
    ) async throws -> BenchConnection {
        let (connected, signal) = AsyncThrowingStream.makeStream(of: Void.self)
        let connection = BenchConnection(url: url, token: token, logger: logger, signal: signal, onFrame: onFrame)
        for try await _ in connected { return connection }
        throw BenchError("connection closed before `connected`")
    }

    private init(
        url: String, token: String, logger: Logger, signal: AsyncThrowingStream<Void, any Error>.Continuation,
        onFrame: @escaping @Sendable (String) -> Void
    ) {
        let (lines, writer) = AsyncStream.makeStream(of: String.self)
        self.lines = lines
        self.writer = writer
        task = Task {
            var configuration = WebSocketClientConfiguration()
            configuration.maxFrameSize = 16 << 20
            configuration.additionalHeaders = [.authorization: "Bearer \(token)"]
            configuration.autoPing = .disabled
            do {
                try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            for await line in lines { try await outbound.write(.text(line)) }
                        }
                        var first = true
                        for try await message in inbound.messages(maxSize: 16 << 20) {
                            guard case .text(let text) = message else { continue }
                            if first {
                                first = false
                                signal.yield()
                                signal.finish()
                            }
                            onFrame(text)
                        }
                        group.cancelAll()
                    }
                }
                signal.finish(throwing: BenchError("closed"))
            } catch {
                signal.finish(throwing: error)
            }
        }
    }

    func send(_ text: String) { writer.yield(text) }

    func close() {
        writer.finish()
        task.cancel()
    }
}

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
