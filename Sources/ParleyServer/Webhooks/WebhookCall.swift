import Foundation
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One operator endpoint Parley posts JSON to, with a hard timeout.
struct WebhookCall: Sendable {
    let url: URL
    let timeout: Duration
    private let session: URLSession

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    init(url: URL, timeout: Duration) {
        self.url = url
        self.timeout = timeout
        let configuration = URLSessionConfiguration.ephemeral
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        configuration.timeoutIntervalForRequest = seconds
        configuration.timeoutIntervalForResource = seconds
        self.session = URLSession(configuration: configuration)
    }

    /// Posts `body`; the status and body of the answer, or a failure once the timeout passes,
    /// whether or not the HTTP call notices its cancellation (a structured task group would
    /// wait for it).
    func post(_ body: Data, headers: [String: String] = [:]) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let session = self.session
        let timeout = self.timeout
        let once = Once()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(status: Int, body: Data), any Error>) in
            // The callback form: no task of the cooperative pool waits on the network.
            let call = session.dataTask(with: request) { data, response, error in
                guard once.claim() else { return }
                if let data, let response = response as? HTTPURLResponse {
                    continuation.resume(returning: (response.statusCode, data))
                } else {
                    continuation.resume(throwing: Failure(description: error.map { "\($0.localizedDescription)" } ?? "no answer"))
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

    /// An http(s) URL from configuration.
    static func url(_ text: String, setting: String) throws -> URL {
        guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ConfigurationError("\(setting) must be an http(s) URL")
        }
        return url
    }
}

/// True for the first caller only: which of the answer and the timeout resumes the caller.
private final class Once: Sendable {
    private let taken = Atomic<Bool>(false)
    func claim() -> Bool { !taken.exchange(true, ordering: .relaxed) }
}
