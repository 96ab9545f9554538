import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import ParleyCore

/// Media in an S3-compatible bucket, shared by every node of a cluster: path-style requests
/// (`<endpoint>/<bucket>/<key>`) signed with SigV4. Uploads stream from the received file
/// and downloads stream to the client, so memory per transfer stays bounded.
public struct S3MediaStorage: MediaStorage {
    public struct Configuration: Sendable, Equatable {
        /// `http(s)://host[:port]`, without a path.
        public var endpoint: String
        public var bucket: String
        public var region: String
        public var accessKey: String
        public var secretKey: String

        public init(endpoint: String, bucket: String, region: String, accessKey: String, secretKey: String) {
            self.endpoint = endpoint
            self.bucket = bucket
            self.region = region
            self.accessKey = accessKey
            self.secretKey = secretKey
        }
    }

    let configuration: Configuration
    let client: HTTPClient
    let signer: SignatureV4
    let host: String
    let base: String

    public init(_ configuration: Configuration, client: HTTPClient) throws {
        guard let url = URL(string: configuration.endpoint), let scheme = url.scheme, ["http", "https"].contains(scheme),
            let host = url.host, !host.isEmpty
        else {
            throw ChatError.badRequest("--s3-endpoint must be an http(s) URL")
        }
        guard !configuration.bucket.isEmpty, configuration.bucket.utf8.allSatisfy({ $0 != 0x2F }) else {
            throw ChatError.badRequest("--s3-bucket must be a bucket name")
        }
        self.configuration = configuration
        self.client = client
        self.signer = SignatureV4(accessKey: configuration.accessKey, secretKey: configuration.secretKey, region: configuration.region)
        self.host = url.port.map { "\(host):\($0)" } ?? host
        self.base = "\(scheme)://\(self.host)"
    }

    public var name: String { "s3" }

    /// Creates the bucket if it is not there (a bucket that exists, of this account, is fine).
    public func prepare() async throws {
        var body: [UInt8] = []
        if configuration.region != "us-east-1" {
            body = Array(
                "<CreateBucketConfiguration><LocationConstraint>\(configuration.region)</LocationConstraint></CreateBucketConfiguration>".utf8)
        }
        let response = try await send("PUT", path: "/\(configuration.bucket)", body: body.isEmpty ? nil : .bytes(ByteBuffer(bytes: body)),
                                      payloadHash: SignatureV4.hex(SHA256Digest.of(body)), length: Int64(body.count))
        let answer = try await response.body.collect(upTo: 64 << 10)
        let text = String(buffer: answer)
        if response.status.code / 100 == 2 || text.contains("BucketAlreadyOwnedByYou") { return }
        throw S3Error(status: Int(response.status.code), detail: Self.code(in: text))
    }

    public func store(file path: String, key: String, size: Int64, sha256: String, contentType: String) async throws {
        let body = HTTPClientRequest.Body.stream(FileChunks(path: path, range: 0..<size), length: .known(size))
        let response = try await send(
            "PUT", path: objectPath(key), headers: ["content-type": contentType], body: body, payloadHash: sha256, length: size)
        let answer = try await response.body.collect(upTo: 64 << 10)
        guard response.status.code / 100 == 2 else { throw S3Error(status: Int(response.status.code), detail: Self.code(in: String(buffer: answer))) }
    }

    public func exists(key: String) async throws -> Bool {
        let response = try await send("HEAD", path: objectPath(key))
        _ = try await response.body.collect(upTo: 64 << 10)
        switch response.status.code {
        case 200: return true
        case 404: return false
        default: throw S3Error(status: Int(response.status.code), detail: "HEAD")
        }
    }

    public func read(key: String, range: Range<Int64>?) async throws -> MediaBytes {
        var headers: [String: String] = [:]
        if let range {
            if range.isEmpty { return MediaBytes(FileChunks(path: "/dev/null", range: 0..<0)) }
            headers["range"] = "bytes=\(range.lowerBound)-\(range.upperBound - 1)"
        }
        let response = try await send("GET", path: objectPath(key), headers: headers)
        switch response.status.code {
        // Asked for a range, only a 206 will do: a store that ignored it would send more bytes
        // than the client was promised.
        case 206 where range != nil, 200 where range == nil: return MediaBytes(response.body)
        case 404:
            _ = try? await response.body.collect(upTo: 64 << 10)
            throw ChatError.notFound("media not found")
        default:
            let answer = try await response.body.collect(upTo: 64 << 10)
            throw S3Error(status: Int(response.status.code), detail: Self.code(in: String(buffer: answer)))
        }
    }

    public func delete(key: String) async throws {
        let response = try await send("DELETE", path: objectPath(key))
        let answer = try await response.body.collect(upTo: 64 << 10)
        guard response.status.code / 100 == 2 || response.status.code == 404 else {
            throw S3Error(status: Int(response.status.code), detail: Self.code(in: String(buffer: answer)))
        }
    }

    func objectPath(_ key: String) -> String { "/\(configuration.bucket)/\(key)" }

    private func send(
        _ method: String, path: String, headers: [String: String] = [:], body: HTTPClientRequest.Body? = nil,
        payloadHash: String = SignatureV4.emptyPayload, length: Int64 = 0
    ) async throws -> HTTPClientResponse {
        var signedHeaders = headers
        signedHeaders["host"] = host
        let signature = signer.sign(method: method, path: path, headers: signedHeaders, payloadHash: payloadHash, date: Date())
        let encodedPath = path.split(separator: "/", omittingEmptySubsequences: false).map { SignatureV4.encode(String($0)) }
            .joined(separator: "/")
        var request = HTTPClientRequest(url: base + encodedPath)
        request.method = HTTPMethod(rawValue: method)
        for (name, value) in signedHeaders.merging(signature, uniquingKeysWith: { _, new in new }) {
            request.headers.replaceOrAdd(name: name, value: value)
        }
        if let body {
            request.body = body
        } else if method == "PUT" {
            request.headers.replaceOrAdd(name: "content-length", value: "\(length)")
        }
        // Transfers of up to a few hundred MiB: a generous deadline, not an open-ended one.
        return try await client.execute(request, timeout: .seconds(600))
    }

    /// The `<Code>` of an S3 error body.
    static func code(in text: String) -> String {
        guard let start = text.range(of: "<Code>"), let end = text.range(of: "</Code>", range: start.upperBound..<text.endIndex) else {
            return String(text.prefix(80))
        }
        return String(text[start.upperBound..<end.lowerBound])
    }
}
