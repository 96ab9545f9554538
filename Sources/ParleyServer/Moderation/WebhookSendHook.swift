import Foundation
import Synchronization
import ParleyCore
import ParleyProtocol

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The pre-send webhook: `POST <url>` with `{"event": "message.before_send", "message": {…}}`;
/// the answer `{"action": "allow"}`, `{"action": "rewrite", "content": {…}}` or
/// `{"action": "reject", "reason": "…"}` decides. No answer within the timeout, a non-2xx
/// status or an unreadable body count as a failure (allowed when `failOpen`).
struct WebhookSendHook: SendHook {
    let url: URL
    let timeout: Duration
    let failOpen: Bool
    let session: URLSession

    init(url: URL, timeout: Duration, failOpen: Bool) {
        self.url = url
        self.timeout = timeout
        self.failOpen = failOpen
        let configuration = URLSessionConfiguration.ephemeral
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = seconds
        self.session = URLSession(configuration: configuration)
    }

    private struct Body: Encodable {
        var event = "message.before_send"
        var message: PendingMessage
    }

    private struct Answer: Decodable {
        var action: String
        var content: JSONValue?
        var reason: String?
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The webhook's answer, or a failure once the timeout passes, whether or not the HTTP call
    /// notices its cancellation (a structured task group would wait for it).
    private func answer(to request: URLRequest) async throws -> (Data, URLResponse) {
        let session = self.session
        let timeout = self.timeout
        let once = Once()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), any Error>) in
            // The callback form: no task of the cooperative pool waits on the network.
            let call = session.dataTask(with: request) { data, response, error in
                guard once.claim() else { return }
                if let data, let response {
                    continuation.resume(returning: (data, response))
                } else {
                    continuation.resume(throwing: error ?? Failure(description: "no answer"))
                }
            }
            call.resume()
            Task {
                try? await Task.sleep(for: timeout)
                if once.claim() {
                    call.cancel()
                    continuation.resume(throwing: Failure(description: "no answer within \(timeout)"))
                }
            }
        }
    }

    private func request(for message: PendingMessage) -> URLRequest {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data(FrameCoder.encode(Body(message: message)))
        return request
    }

    func review(_ message: PendingMessage) async throws -> SendDecision {
        let (data, response) = try await answer(to: request(for: message))
        guard let status = (response as? HTTPURLResponse)?.statusCode, (200..<300).contains(status) else {
            throw Failure(description: "webhook answered \((response as? HTTPURLResponse)?.statusCode ?? 0)")
        }
        let answer = try FrameCoder.decode(Answer.self, from: data)
        switch answer.action {
        case "allow": return .allow
        case "reject": return .reject(reason: answer.reason ?? "rejected by policy")
        case "rewrite":
            guard let content = answer.content else { throw Failure(description: "rewrite without content") }
            return .rewrite(content)
        default: throw Failure(description: "unknown action '\(answer.action.prefix(32))'")
        }
    }
}

/// True for the first caller only: which of the answer and the timeout resumes the send.
private final class Once: Sendable {
    private let taken = Atomic<Bool>(false)
    func claim() -> Bool { !taken.exchange(true, ordering: .relaxed) }
}
