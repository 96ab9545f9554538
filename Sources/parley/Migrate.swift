import ArgumentParser
import Foundation
import Logging
import ParleyPostgres
import ParleySQLite

/// `parley migrate`: brings a store's schema up to this binary's version and exits (nodes also
/// do it at start). Safe to run twice; refuses a schema newer than the binary.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the store's schema migrations and exit.")

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (env PARLEY_DATABASE_URL); without it, the embedded store in --data-dir.") var databaseURL: String?
    @Option(name: .customLong("data-dir"), help: "Directory of the embedded database (env PARLEY_DATA_DIR).") var dataDir: String?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var logger = Logger(label: "parley.migrate")
        logger.logLevel = .warning
        if let url = databaseURL ?? environment["PARLEY_DATABASE_URL"] {
            let version = try await PostgresStore.migrate(url: url, logger: logger)
            print("postgres schema at version \(version)")
        } else {
            let directory = dataDir ?? environment["PARLEY_DATA_DIR"] ?? "./parley-data"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let store = try SQLiteStore(path: directory + "/parley.sqlite", logger: logger)
            store.close()
            print("sqlite schema at version \(SQLiteStore.schemaVersion)")
        }
    }
}
