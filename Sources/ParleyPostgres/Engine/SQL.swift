import Logging
import ParleyStore
import PostgresNIO

/// A value bound to a statement parameter (`$1`, `$2`, …).
enum PGValue: Sendable {
    case null
    case integer(Int64)
    case text(String)
    case bool(Bool)
    case texts([String])

    init(_ value: String?) { self = value.map { .text($0) } ?? .null }
    init(_ value: Int64?) { self = value.map { .integer($0) } ?? .null }
}

/// One result row, read by column position.
struct PGRow {
    let cells: PostgresRandomAccessRow

    func text(_ column: Int) throws -> String { try cells[column].decode(String.self) }
    func optionalText(_ column: Int) throws -> String? { try cells[column].decode(String?.self) }
    func int(_ column: Int) throws -> Int64 { try cells[column].decode(Int64.self) }
    func optionalInt(_ column: Int) throws -> Int64? { try cells[column].decode(Int64?.self) }
    func bool(_ column: Int) throws -> Bool { try cells[column].decode(Bool.self) }
}

/// Statements on one connection, in the style of the SQLite engine: SQL text with `$n`
/// placeholders and a list of values.
struct SQLSession: Sendable {
    let connection: PostgresConnection
    let logger: Logger

    func run(_ sql: String, _ values: [PGValue] = []) async throws {
        _ = try await all(sql, values) { _ in () }
    }

    func all<T>(_ sql: String, _ values: [PGValue] = [], _ map: (PGRow) throws -> T) async throws -> [T] {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .null: bindings.appendNull()
            case .integer(let v): bindings.append(v)
            case .text(let v): bindings.append(v)
            case .bool(let v): bindings.append(v)
            case .texts(let v): bindings.append(v)
            }
        }
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            var result: [T] = []
            for try await row in rows {
                result.append(try map(PGRow(cells: row.makeRandomAccess())))
            }
            return result
        } catch let error as PSQLError {
            throw PostgresFailure.make(error)
        }
    }

    func first<T>(_ sql: String, _ values: [PGValue] = [], _ map: (PGRow) throws -> T) async throws -> T? {
        try await all(sql, values, map).first
    }

    /// How many rows a statement with `RETURNING 1` touched.
    func count(_ sql: String, _ values: [PGValue] = []) async throws -> Int {
        try await all(sql, values) { _ in () }.count
    }
}

/// A PostgreSQL error, mapped to what the store promises: unique violations are
/// `StoreError.duplicate`, Parley's own "not found" is `StoreError.notFound`.
enum PostgresFailure {
    static func make(_ error: PSQLError) -> any Error {
        switch error.serverInfo?[.sqlState] {
        case "23505": return StoreError.duplicate(error.serverInfo?[.constraintName] ?? "row")
        case "P0002": return StoreError.notFound(error.serverInfo?[.message] ?? "row")
        default:
            return StoreError.engine("postgres: \(error.serverInfo?[.sqlState] ?? "-") \(error.serverInfo?[.message] ?? String(describing: error.code))")
        }
    }
}
