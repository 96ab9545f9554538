import Foundation
import Logging
import ParleyClient
import ParleyProtocol

/// The node(s) under load, and the users the generator creates on them.
public struct BenchTarget: Sendable {
    /// Where accounts are made and HTTP calls go: the first node.
    public var server: URL { servers[0] }
    /// Every node of the cluster under load (one for a single node); sessions are spread over them.
    public var servers: [URL]
    /// The server's process id, to read its memory (local runs only).
    public var serverPID: Int?
    /// Local addresses sessions leave from, in turn (empty: the system's choice). Each loopback
    /// address has its own ≈ 28,000 ephemeral ports.
    public var sourceAddresses: [String] = []
    let logger: Logger

    public init(server: URL, serverPID: Int?) {
        self.init(servers: [server], serverPID: serverPID)
    }

    public init(servers: [URL], serverPID: Int?) {
        precondition(!servers.isEmpty, "at least one node")
        self.servers = servers
        self.serverPID = serverPID
        var logger = Logger(label: "parley.bench")
        logger.logLevel = .error
        self.logger = logger
    }

    func socketURL(device: String, node: Int = 0) -> String {
        ClientConfiguration.socketURL(server: servers[node % servers.count], deviceId: device, platform: .desktop)
    }

    /// Registers `count` fresh users, a few at a time.
    func users(_ count: Int, prefix: String) async throws -> [TokenGrant] {
        // One account first: a node that does not answer is reported as such, before many
        // requests are in flight.
        let run = UUID().uuidString.prefix(6).lowercased()
        do {
            _ = try await ParleyAccounts.register(server: server, username: "\(prefix)-\(run)-probe", password: "bench-password")
        } catch {
            throw BenchError("the node at \(server) does not answer: \(error)")
        }
        var grants: [TokenGrant] = []
        var next = 0
        try await withThrowingTaskGroup(of: TokenGrant.self) { group in
            func add() {
                let index = next
                next += 1
                group.addTask {
                    try await Self.register(server: server, username: "\(prefix)-\(run)-\(index)")
                }
            }
            for _ in 0..<min(16, count) { add() }
            while let grant = try await group.next() {
                grants.append(grant)
                if next < count { add() }
            }
        }
        return grants
    }

    /// Registers one user; a node that is busy hashing (`unavailable`) is asked again after the
    /// wait it names, and one that limits registrations says which flags to raise.
    private static func register(server: URL, username: String) async throws -> TokenGrant {
        for _ in 0..<50 {
            do {
                return try await ParleyAccounts.register(server: server, username: username, password: "bench-password")
            } catch ParleyClientError.server(let error) where error.code == .unavailable {
                try await Task.sleep(for: .milliseconds(error.retryAfterMs ?? 200))
            } catch ParleyClientError.server(let error) where error.code == .rateLimited {
                throw BenchError(
                    "the node limits registrations per address (\(error.message)): start it with a higher --register-rate and --register-burst for load tests")
            }
        }
        throw BenchError("the node stayed too busy to register \(username)")
    }

    /// Opens sessions, `concurrency` handshakes at a time; session `i` goes to node
    /// `(i + firstNode) % nodes`.
    func connect(
        _ plan: [(token: String, device: String)], concurrency: Int, firstNode: Int = 0,
        onFrame: @escaping @Sendable (Int, String) -> Void
    ) async throws -> [BenchConnection] {
        var connections = [BenchConnection?](repeating: nil, count: plan.count)
        var next = 0
        try await withThrowingTaskGroup(of: (Int, BenchConnection).self) { group in
            func add() {
                let index = next
                next += 1
                let (token, device) = plan[index]
                let url = socketURL(device: device, node: index + firstNode)
                let source = sourceAddresses.isEmpty ? nil : sourceAddresses[index % sourceAddresses.count]
                group.addTask {
                    (index, try await BenchConnection.open(url: url, token: token, source: source, logger: logger) { onFrame(index, $0) })
                }
            }
            for _ in 0..<min(concurrency, plan.count) { add() }
            while let (index, connection) = try await group.next() {
                connections[index] = connection
                if next < plan.count { add() }
            }
        }
        return connections.compactMap { $0 }
    }

    /// The server's resident memory in bytes, if its pid is known and readable.
    func serverRSS() -> Int? {
        guard let pid = serverPID, let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let kilobytes = line.split(separator: " ").compactMap { Int($0) }.first
            return kilobytes.map { $0 * 1024 }
        }
        return nil
    }
}

/// Cheap field extraction from server frames: the generator must not spend its core on JSON
/// (nor on Foundation's string search), so it scans the UTF-8 bytes.
enum FrameScan {
    /// The string value of the first `"key":"…"` in `text`.
    static func string(_ key: String, in text: String) -> Substring? {
        guard let start = valueOffset(of: key, quoted: true, in: text) else { return nil }
        let utf8 = text.utf8
        let from = utf8.index(utf8.startIndex, offsetBy: start)
        guard let end = utf8[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
        return text[from..<end]
    }

    /// The integer value of the first `"key":123` in `text`.
    static func int(_ key: String, in text: String) -> Int64? {
        valueOffset(of: key, quoted: false, in: text).flatMap { digits(at: $0, in: text) }
    }

    /// The number a string value starts with: `"key":"123…"`.
    static func leadingInt(ofString key: String, in text: String) -> Int64? {
        valueOffset(of: key, quoted: true, in: text).flatMap { digits(at: $0, in: text) }
    }

    private static func digits(at start: Int, in text: String) -> Int64? {
        var value: Int64 = 0
        var digits = 0
        for byte in text.utf8.dropFirst(start) {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { break }
            value = value &* 10 &+ Int64(byte - UInt8(ascii: "0"))
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    static func type(of text: String) -> Substring? { string("type", in: text) }

    /// The UTF-8 offset just after `"key":` (and the opening quote when `quoted`).
    private static func valueOffset(of key: String, quoted: Bool, in text: String) -> Int? {
        let pattern = Array("\"\(key)\":\(quoted ? "\"" : "")".utf8)
        var text = text
        return text.withUTF8 { bytes -> Int? in
            guard bytes.count >= pattern.count, let first = pattern.first else { return nil }
            var index = 0
            let last = bytes.count - pattern.count
            while index <= last {
                if bytes[index] == first {
                    var matched = 1
                    while matched < pattern.count, bytes[index + matched] == pattern[matched] { matched += 1 }
                    if matched == pattern.count { return index + pattern.count }
                }
                index += 1
            }
            return nil
        }
    }
}
