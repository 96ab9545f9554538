import Foundation
import Logging
import ParleyPostgres
import ParleySQLite
import ParleyStore
import PostgresNIO
import Testing

/// The engines every store test runs against.
enum Engine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A fresh, empty store of an engine, and how to count its write transactions.
struct StoreUnderTest: Sendable {
    let store: any Store
    let transactions: @Sendable () async -> Int
}

/// Runs `body` against a fresh store: a SQLite file in a temporary directory, or a new database
/// on the PostgreSQL test cluster (`PARLEY_TEST_POSTGRES`, started by `scripts/test`). Without
/// that cluster the PostgreSQL runs are skipped, except under CI, where that is a failure.
func withStore(_ engine: Engine, _ body: (StoreUnderTest) async throws -> Void) async throws {
    var logger = Logger(label: "store-tests")
    logger.logLevel = .error
    switch engine {
    case .sqlite:
        let directory = NSTemporaryDirectory() + "parley-store-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = try SQLiteStore(path: directory + "/parley.sqlite", durability: .normal)
        defer { store.close() }
        try await body(StoreUnderTest(store: store, transactions: { store.transactionCount }))
    case .postgres:
        guard let admin = ProcessInfo.processInfo.environment["PARLEY_TEST_POSTGRES"] else {
            if ProcessInfo.processInfo.environment["CI"] == "true" {
                Issue.record("PARLEY_TEST_POSTGRES is not set: the PostgreSQL store cannot be tested (run scripts/test)")
            }
            return
        }
        let name = "s_" + UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: "")
        try await adminStatement("CREATE DATABASE \(name)", adminURL: admin, logger: logger)
        let url = String(admin[..<(admin.lastIndex(of: "/") ?? admin.endIndex)]) + "/" + name
        let store = try await PostgresStore.open(url: url, poolSize: 4, logger: logger)
        do {
            try await body(StoreUnderTest(store: store, transactions: { await store.transactionCount }))
        } catch {
            await store.close()
            try? await adminStatement("DROP DATABASE \(name) WITH (FORCE)", adminURL: admin, logger: logger)
            throw error
        }
        await store.close()
        try? await adminStatement("DROP DATABASE \(name) WITH (FORCE)", adminURL: admin, logger: logger)
    }
}

private func adminStatement(_ statement: String, adminURL: String, logger: Logger) async throws {
    guard let url = URLComponents(string: adminURL), let host = url.host else { throw StoreError.engine("bad admin URL") }
    let configuration = PostgresConnection.Configuration(
        host: host, port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password, database: "postgres",
        tls: .disable)
    let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
    defer { Task { try? await connection.close() } }
    _ = try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
}

/// Records for tests.
enum Fixture {
    static func user(_ id: String, _ name: String? = nil) -> UserRecord {
        UserRecord(id: id, username: name ?? "user\(id)", displayName: "User \(id)", avatar: nil, passwordHash: "hash", createdAt: 1_000)
    }

    static func message(from sender: String, to receiver: String, localId: String, at time: Int64 = 2_000, mentions: [String] = []) -> NewMessage {
        let (a, b) = sender < receiver ? (sender, receiver) : (receiver, sender)
        return NewMessage(
            target: .privateChat(conversationId: "p_\(a)_\(b)", userA: a, userB: b), messageId: "m-\(sender)-\(localId)",
            senderId: sender, localId: localId, contentType: "text", content: #"{"text":"hi \#(localId)"}"#, atUsers: mentions,
            mentions: mentions, replyTo: nil, createdAt: time)
    }

    static func groupMessage(_ groupId: String, from sender: String, localId: String, mentions: [String] = []) -> NewMessage {
        NewMessage(
            target: .conversation("g_" + groupId), messageId: "gm-\(sender)-\(localId)", senderId: sender, localId: localId,
            contentType: "text", content: #"{"text":"group \#(localId)"}"#, atUsers: mentions, mentions: mentions, replyTo: nil,
            createdAt: 3_000)
    }

    static func notice(to userId: String, _ type: String, id: String = UUID().uuidString) -> NewNotification {
        NewNotification(
            userId: userId, id: id, type: type, title: "t", content: "c", actionType: "none", actionData: #"{"k":1}"#,
            priority: "normal", createdAt: 5_000)
    }

    static func group(_ id: String, owner: String, policy: JoinPolicy = .approval) -> GroupRecord {
        GroupRecord(id: id, name: "Group \(id)", ownerId: owner, joinPolicy: policy, createdAt: 1_500, updatedAt: 1_500)
    }
}
