import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import ParleyCore
import ParleyProtocol
import ParleyTasks

/// The HTTP side of every push provider: one pooled client (HTTP/2 where the server offers it,
/// so APNs multiplexes pushes over one connection), a deadline per call, answers read up to 1 MiB.
public struct PushHTTP: Sendable {
    public let client: HTTPClient
    let timeout: Duration

    public init(client: HTTPClient, timeout: Duration) {
        self.client = client
        self.timeout = timeout
    }

    /// A client trusting the system's roots and, when given, the certificates in `caFile` (PEM).
    public static func makeClient(caFile: String?) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        if let caFile {
            // Read now, so a wrong path fails the start, not the first push.
            let certificates = try NIOSSLCertificate.fromPEMFile(caFile)
            guard !certificates.isEmpty else { throw PushConfigurationError("no certificate in \(caFile)") }
            tls.additionalTrustRoots = [.certificates(certificates)]
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .disallow)
        configuration.httpVersion = .automatic
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(30))
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
    }

    /// A provider's answer.
    public struct Answer: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: ByteBuffer

        /// The body as JSON, nil when it is not.
        public var json: JSONValue? {
            let text = String(buffer: body)
            guard text.first == "{" || text.first == "[" else { return nil }
            let value = JSONValue(jsonText: text)
            if case .null = value { return nil }
            return value
        }

        /// `Retry-After` in seconds (the HTTP-date form is not used by push services).
        public var retryAfter: Duration? {
            guard let text = headers.first(name: "retry-after"), let seconds = Int(text.trimmingCharacters(in: .whitespaces)), seconds >= 0 else {
                return nil
            }
            return .seconds(min(seconds, 86_400))
        }

        /// The usual reading of a status no provider rule covered: 429 and 5xx are worth
        /// another try (after `Retry-After`), anything else is refused for good.
        public func unexpected(_ reason: String) -> PushResult {
            status == 429 || status >= 500 ? .retry(reason: reason, after: retryAfter) : .failed(reason: reason)
        }
    }

    /// POSTs `body` to `url`.
    public func post(_ url: String, headers: [(String, String)], body: [UInt8]) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .milliseconds(timeout.milliseconds))
        let answer = try await response.body.collect(upTo: 1 << 20)
        return Answer(status: Int(response.status.code), headers: response.headers, body: answer)
    }

    /// A transport failure (no connection, a timeout) as a reason: the error's kind, not its text.
    static func reason(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            return "transport: \(String(describing: error).prefix(80))"
        }
        return "transport: \(String(describing: type(of: error)))"
    }

    /// `application/x-www-form-urlencoded`.
    static func form(_ fields: [(String, String)]) -> [UInt8] {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        let encoded = fields.map { name, value in
            "\(name.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")=\(value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")"
        }
        return Array(encoded.joined(separator: "&").utf8)
    }
}

/// A push provider configured so that it cannot work.
public struct PushConfigurationError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension JSONValue {
    /// The number, if this is one, as an integer.
    var integerValue: Int? {
        if case .number(let value) = self, value.isFinite, abs(value) < 1e15 { return Int(value) }
        return nil
    }
}
