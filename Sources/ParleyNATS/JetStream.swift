import Foundation
import NIOCore

/// The JetStream subset Parley uses, over a `NATSClient`'s request/reply: streams, publishing
/// with acknowledgement (and dedupe by message id), durable pull consumers with ack/nak/term and
/// a delivery limit, and key-value buckets with a max age.
public struct JetStream: Sendable {
    public let client: NATSClient
    public var timeout: Duration

    public init(client: NATSClient, timeout: Duration = .seconds(5)) {
        self.client = client
        self.timeout = timeout
    }

    /// An error the JetStream API answered with.
    public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
        public var code: Int
        public var errorCode: Int
        public var text: String
        public var description: String { "JetStream error \(code)/\(errorCode): \(text)" }
    }

    /// A stream's settings (the fields Parley sets).
    public struct StreamConfig: Codable, Sendable, Equatable {
        public var name: String
        public var subjects: [String]
        /// `limits` or `workqueue` (each message removed once acknowledged).
        public var retention: String
        /// Nanoseconds; 0 keeps messages forever.
        public var maxAge: Int64
        public var maxMsgsPerSubject: Int64
        public var storage: String
        public var allowDirect: Bool
        public var duplicateWindow: Int64

        public init(
            name: String, subjects: [String], retention: String = "limits", maxAge: Duration = .zero,
            maxMsgsPerSubject: Int64 = -1, storage: String = "file", duplicateWindow: Duration = .seconds(120)
        ) {
            self.name = name
            self.subjects = subjects
            self.retention = retention
            self.maxAge = Self.nanoseconds(maxAge)
            self.maxMsgsPerSubject = maxMsgsPerSubject
            self.storage = storage
            self.allowDirect = true
            self.duplicateWindow = Self.nanoseconds(duplicateWindow)
        }

        static func nanoseconds(_ duration: Duration) -> Int64 {
            duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
        }

        enum CodingKeys: String, CodingKey {
            case name, subjects, retention, storage
            case maxAge = "max_age"
            case maxMsgsPerSubject = "max_msgs_per_subject"
            case allowDirect = "allow_direct"
            case duplicateWindow = "duplicate_window"
        }
    }

    /// The answer to a publish: where the message was stored.
    public struct PubAck: Codable, Sendable, Equatable {
        public var stream: String
        public var seq: UInt64
        public var duplicate: Bool?
    }

    /// A message fetched from a pull consumer: acknowledge it, or it comes back.
    public struct Delivered: Sendable {
        public var message: NATSMessage
        let client: NATSClient

        /// How many times this message has been delivered (from the ack subject).
        public var deliveryCount: Int {
            // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<timestamp>.<pending>
            let parts = message.replyTo?.split(separator: ".") ?? []
            return parts.count >= 5 ? Int(parts[4]) ?? 1 : 1
        }

        public func ack() throws { try reply("+ACK") }
        /// Still working on it: the ack wait starts again.
        public func inProgress() throws { try reply("+WPI") }
        /// Redeliver now, or after `delay`.
        public func nak(delay: Duration? = nil) throws {
            guard let delay else { return try reply("-NAK") }
            try reply(#"-NAK {"delay":\#(StreamConfig.nanoseconds(delay))}"#)
        }
        /// Never deliver again.
        public func term() throws { try reply("+TERM") }

        private func reply(_ text: String) throws {
            guard let subject = message.replyTo else { return }
            try client.publish(subject, payload: ByteBuffer(string: text))
        }
    }

    // MARK: Streams

    /// Creates a stream, or updates it to `config` when it exists.
    @discardableResult
    public func ensureStream(_ config: StreamConfig) async throws -> StreamConfig {
        do {
            return try await api("$JS.API.STREAM.CREATE.\(config.name)", body: config, as: StreamInfo.self).config
        } catch let error as APIError where error.errorCode == 10058 {  // stream name already in use
            return try await api("$JS.API.STREAM.UPDATE.\(config.name)", body: config, as: StreamInfo.self).config
        }
    }

    public func deleteStream(_ name: String) async throws {
        _ = try await api("$JS.API.STREAM.DELETE.\(name)", body: Empty(), as: Empty.self)
    }

    /// Publishes and waits until the stream stored the message. With `messageId`, a repeat
    /// within the stream's duplicate window is stored once (`duplicate` is true).
    public func publish(_ subject: String, payload: ByteBuffer, messageId: String? = nil, headers: [String: String] = [:]) async throws -> PubAck {
        var headers = headers
        if let messageId { headers["Nats-Msg-Id"] = messageId }
        let reply = try await client.request(subject, payload: payload, headers: headers, timeout: timeout)
        return try Self.decode(reply.payload, as: PubAck.self)
    }

    /// How many messages a stream holds, and its first and last sequence numbers.
    public struct StreamState: Decodable, Sendable, Equatable {
        public var messages: UInt64
        public var firstSeq: UInt64
        public var lastSeq: UInt64

        enum CodingKeys: String, CodingKey {
            case messages
            case firstSeq = "first_seq"
            case lastSeq = "last_seq"
        }
    }

    public func streamState(_ name: String) async throws -> StreamState {
        struct Info: Decodable { var state: StreamState }
        return try await api("$JS.API.STREAM.INFO.\(name)", body: Empty(), as: Info.self).state
    }

    /// A message kept in a stream, read by its sequence number.
    public struct StoredMessage: Sendable {
        public var subject: String
        public var seq: UInt64
        public var headers: [String: String]
        public var payload: ByteBuffer
        /// When the stream stored it, as JetStream writes it (RFC 3339).
        public var time: String
    }

    /// The message at `seq`; nil when there is none (never stored, deleted, aged out).
    public func message(stream: String, seq: UInt64) async throws -> StoredMessage? {
        struct Get: Encodable { var seq: UInt64 }
        struct Stored: Decodable {
            struct Message: Decodable {
                var subject: String
                var seq: UInt64
                var hdrs: String?
                var data: String?
                var time: String
            }
            var message: Message
        }
        do {
            let stored = try await api("$JS.API.STREAM.MSG.GET.\(stream)", body: Get(seq: seq), as: Stored.self).message
            let headerText = stored.hdrs.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
            return StoredMessage(
                subject: stored.subject, seq: stored.seq, headers: Self.headers(headerText),
                payload: ByteBuffer(bytes: stored.data.flatMap { Data(base64Encoded: $0) } ?? Data()), time: stored.time)
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }

    /// Removes one message from a stream.
    public func deleteMessage(stream: String, seq: UInt64) async throws {
        struct Delete: Encodable {
            var seq: UInt64
            var no_erase = true
        }
        _ = try await api("$JS.API.STREAM.MSG.DELETE.\(stream)", body: Delete(seq: seq), as: Empty.self)
    }

    /// Header lines (`NATS/1.0` first) as a dictionary.
    static func headers(_ text: String) -> [String: String] {
        var headers: [String: String] = [:]
        for line in text.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return headers
    }

    // MARK: Pull consumers

    /// Creates (or keeps) a durable pull consumer: explicit acks, redelivery after `ackWait`
    /// (or after the successive `backoff` delays), at most `maxDeliver` deliveries.
    public func ensureConsumer(
        stream: String, durable: String, filter: String? = nil, ackWait: Duration = .seconds(30), backoff: [Duration] = [],
        maxDeliver: Int = 5
    ) async throws {
        struct Config: Encodable {
            var durable_name: String
            var ack_policy = "explicit"
            var ack_wait: Int64
            var max_deliver: Int
            var filter_subject: String?
            var backoff: [Int64]?
        }
        struct Request: Encodable {
            var stream_name: String
            var config: Config
        }
        let request = Request(
            stream_name: stream,
            config: Config(
                durable_name: durable, ack_wait: StreamConfig.nanoseconds(ackWait), max_deliver: maxDeliver, filter_subject: filter,
                backoff: backoff.isEmpty ? nil : backoff.map(StreamConfig.nanoseconds)))
        _ = try await api("$JS.API.CONSUMER.DURABLE.CREATE.\(stream).\(durable)", body: request, as: Empty.self)
    }

    /// The next message for a pull consumer, waiting up to `wait`; nil when none came.
    public func next(stream: String, durable: String, wait: Duration = .seconds(1)) async throws -> Delivered? {
        struct Next: Encodable {
            var batch = 1
            var expires: Int64
        }
        let body = ByteBuffer(bytes: try JSONEncoder().encode(Next(expires: StreamConfig.nanoseconds(wait))))
        let reply: NATSMessage
        do {
            reply = try await client.requestOnce(
                "$JS.API.CONSUMER.MSG.NEXT.\(stream).\(durable)", payload: body, timeout: wait + .seconds(2))
        } catch NATSError.timeout {
            return nil
        }
        if let status = reply.status, status == 404 || status == 408 || status == 409 { return nil }
        return Delivered(message: reply, client: client)
    }

    // MARK: Key-value buckets

    /// A key-value bucket (`KV_<name>`): one value per key, every value expiring after `maxAge`.
    public func ensureBucket(_ name: String, maxAge: Duration) async throws {
        try await ensureStream(StreamConfig(
            name: "KV_\(name)", subjects: ["$KV.\(name).>"], maxAge: maxAge, maxMsgsPerSubject: 1, duplicateWindow: min(maxAge, .seconds(120))))
    }

    public func put(bucket: String, key: String, value: ByteBuffer) async throws {
        _ = try await publish("$KV.\(bucket).\(key)", payload: value)
    }

    /// The value of a key; nil when it never was or has expired.
    public func get(bucket: String, key: String) async throws -> ByteBuffer? {
        struct Get: Encodable { var last_by_subj: String }
        struct Stored: Decodable {
            struct Message: Decodable { var data: String? }
            var message: Message
        }
        do {
            let stored = try await api("$JS.API.STREAM.MSG.GET.KV_\(bucket)", body: Get(last_by_subj: "$KV.\(bucket).\(key)"), as: Stored.self)
            guard let data = stored.message.data.flatMap({ Data(base64Encoded: $0) }) else { return ByteBuffer() }
            return ByteBuffer(bytes: data)
        } catch let error as APIError where error.code == 404 {
            return nil
        }
    }

    /// Every key's current value in a bucket, read through a short-lived consumer that
    /// delivers the last message of each key (the start of a key-value watch).
    public func lastValues(bucket: String) async throws -> [(key: String, value: ByteBuffer)] {
        let prefix = "$KV.\(bucket)."
        let inbox = client.newInbox()
        let (messages, continuation) = AsyncStream.makeStream(of: NATSMessage.self)
        let subscription = client.subscribe(inbox) { continuation.yield($0) }
        defer {
            client.unsubscribe(subscription)
            continuation.finish()
        }
        struct Config: Encodable {
            var deliver_subject: String
            var deliver_policy = "last_per_subject"
            var ack_policy = "none"
            var filter_subject: String
            var replay_policy = "instant"
            var mem_storage = true
            var inactive_threshold: Int64
        }
        struct Request: Encodable {
            var stream_name: String
            var config: Config
        }
        struct Created: Decodable {
            var name: String
            var num_pending: Int
        }
        let stream = "KV_\(bucket)"
        let created = try await api(
            "$JS.API.CONSUMER.CREATE.\(stream)",
            body: Request(stream_name: stream, config: Config(
                deliver_subject: inbox, filter_subject: prefix + ">", inactive_threshold: StreamConfig.nanoseconds(.seconds(10)))),
            as: Created.self)
        defer {
            let client = client
            Task { try? await client.request("$JS.API.CONSUMER.DELETE.\(stream).\(created.name)", timeout: .seconds(2)) }
        }
        var values: [(key: String, value: ByteBuffer)] = []
        guard created.num_pending > 0 else { return values }
        let timer = Task {
            try await Task.sleep(for: timeout)
            continuation.finish()
        }
        defer { timer.cancel() }
        for await message in messages where message.subject.hasPrefix(prefix) {
            values.append((String(message.subject.dropFirst(prefix.count)), message.payload))
            if values.count >= created.num_pending { return values }
        }
        throw NATSError.timeout
    }

    // MARK: The API

    private struct StreamInfo: Decodable {
        var config: StreamConfig
    }

    private struct Empty: Codable {}

    private struct APIErrorBody: Decodable {
        struct Detail: Decodable {
            var code: Int
            var err_code: Int?
            var description: String?
        }
        var error: Detail?
    }

    private func api<Body: Encodable, Answer: Decodable>(_ subject: String, body: Body, as type: Answer.Type) async throws -> Answer {
        let payload = ByteBuffer(bytes: try JSONEncoder().encode(body))
        let reply = try await client.request(subject, payload: payload, timeout: timeout)
        return try Self.decode(reply.payload, as: type)
    }

    private static func decode<Answer: Decodable>(_ payload: ByteBuffer, as type: Answer.Type) throws -> Answer {
        let data = Data(payload.readableBytesView)
        if let failure = try? JSONDecoder().decode(APIErrorBody.self, from: data), let error = failure.error {
            throw APIError(code: error.code, errorCode: error.err_code ?? 0, text: error.description ?? "")
        }
        return try JSONDecoder().decode(type, from: data)
    }
}
