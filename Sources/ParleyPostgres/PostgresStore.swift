import Foundation
import Logging
import ParleyStore
import NIOSSL
import PostgresNIO

/// The production store: PostgreSQL through postgres-nio. Reads use a connection pool; writes
/// go through one writer connection per node that commits concurrent writes together
/// (`PostgresWriter`). Messages are partitioned by month (`MessagePartitions`).
public final class PostgresStore: Store {
    let client: PostgresClient
    let writer: PostgresWriter
    let logger: Logger
    private let background: Task<Void, Never>

    /// Connects, applies migrations, creates this month's partitions and starts the pool.
    /// - Parameter url: `postgres://user:password@host:port/database[?sslmode=disable|prefer|require]`.
    public static func open(url: String, poolSize: Int = 8, logger: Logger) async throws -> PostgresStore {
        let settings = try DatabaseURL(url)
        let store = PostgresStore(settings: settings, poolSize: poolSize, logger: logger)
        do {
            try await store.prepare(settings)
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// Applies migrations only (`parley migrate`).
    public static func migrate(url: String, logger: Logger) async throws -> Int {
        let settings = try DatabaseURL(url)
        let connection = try await settings.connect(logger: logger)
        defer { Task { try? await connection.close() } }
        let sql = SQLSession(connection: connection, logger: logger)
        try await PostgresMigrations.apply(sql)
        try await MessagePartitions.ensure(sql, now: Date(), logger: logger)
        return PostgresMigrations.latest
    }

    private init(settings: DatabaseURL, poolSize: Int, logger: Logger) {
        var configuration = PostgresClient.Configuration(
            host: settings.host, port: settings.port, username: settings.username, password: settings.password,
            database: settings.database, tls: settings.clientTLS)
        configuration.options.maximumConnections = max(2, poolSize)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.client = client
        self.logger = logger
        self.writer = PostgresWriter(logger: logger, appendBatch: { try await Self.appendBatch($0, db: $1) }) {
            try await settings.connect(logger: logger)
        }
        self.background = Task { await client.run() }
    }

    private func prepare(_ settings: DatabaseURL) async throws {
        // On a connection of its own: the pool's first lease waits for it to run.
        let connection = try await settings.connect(logger: logger)
        do {
            let sql = SQLSession(connection: connection, logger: logger)
            try await PostgresMigrations.apply(sql)
            try await MessagePartitions.ensure(sql, now: Date(), logger: logger)
            try await connection.close()
        } catch {
            try? await connection.close()
            throw error
        }
        let logger = self.logger
        Task { [weak self] in
            // Next months' partitions, once a day, for as long as the store is open.
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(86_400))
                guard let self else { return }
                try? await self.read { try await MessagePartitions.ensure($0, now: Date(), logger: logger) }
            }
        }
        logger.info("postgres store open", metadata: ["schema": "\(PostgresMigrations.latest)"])
    }

    /// Stops the pool and the writer.
    public func close() async {
        await writer.close()
        background.cancel()
    }

    func read<T: Sendable>(_ body: (SQLSession) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            try await body(SQLSession(connection: connection, logger: logger))
        }
    }

    func write<T: Sendable>(_ body: @escaping @Sendable (WriteContext) async throws -> T) async throws -> T {
        try await writer.perform(body)
    }

    /// Write transactions so far; fewer than writes when they are grouped.
    public var transactionCount: Int {
        get async { await writer.transactionCount }
    }
}

/// The parts of a `postgres://` URL.
struct DatabaseURL: Sendable {
    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var sslMode: String

    init(_ text: String) throws {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
            let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty
        else {
            throw StoreError.engine("database URL must look like postgres://user:password@host:port/database")
        }
        self.host = host
        self.port = url.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = url.password.map { $0.removingPercentEncoding ?? $0 }
        let path = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        self.database = path.isEmpty ? nil : path
        self.sslMode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard ["disable", "prefer", "require"].contains(sslMode) else {
            throw StoreError.engine("sslmode must be disable, prefer or require")
        }
    }

    var clientTLS: PostgresClient.Configuration.TLS {
        switch sslMode {
        case "require": .require(.makeClientConfiguration())
        case "prefer": .prefer(.makeClientConfiguration())
        default: .disable
        }
    }

    func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        switch sslMode {
        case "require": .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case "prefer": .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        default: .disable
        }
    }

    func connect(logger: Logger) async throws -> PostgresConnection {
        let configuration = PostgresConnection.Configuration(
            host: host, port: port, username: username, password: password, database: database, tls: try connectionTLS())
        return try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
    }
}
