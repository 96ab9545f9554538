import ParleyStore

extension PostgresStore {
    static let taskColumns = "id, kind, payload, attempts, run_at, created_at, last_error, dead_at"

    static func task(_ row: PGRow) throws -> TaskRecord {
        TaskRecord(
            id: try row.text(0), kind: try row.text(1), payload: try row.text(2), attempts: Int(try row.int(3)), runAt: try row.int(4),
            createdAt: try row.int(5), lastError: try row.optionalText(6), deadAt: try row.optionalInt(7))
    }

    public func enqueueTasks(_ tasks: [TaskRecord]) async throws {
        if tasks.isEmpty { return }
        try await write { db in
            try await Self.insert(tasks, into: db.sql)
        }
    }

    /// Adds tasks inside a caller's transaction, in one statement; ids already queued are ignored.
    static func insert(_ tasks: [TaskRecord], into sql: SQLSession) async throws {
        if tasks.isEmpty { return }
        try await sql.run(
            """
            INSERT INTO tasks (id, kind, payload, attempts, run_at, created_at)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
            ON CONFLICT (id) DO NOTHING
            """,
            [.texts(tasks.map(\.id)), .texts(tasks.map(\.kind)), .texts(tasks.map(\.payload)), .texts(tasks.map { String($0.attempts) }),
             .texts(tasks.map { String($0.runAt) }), .texts(tasks.map { String($0.createdAt) })])
    }

    public func claimTasks(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [TaskRecord] {
        // SKIP LOCKED: nodes claiming at once take different tasks instead of waiting.
        try await write { db in
            try await db.sql.all(
                """
                UPDATE tasks SET attempts = attempts + 1, run_at = $1
                WHERE id IN (SELECT id FROM tasks WHERE dead_at IS NULL AND run_at <= $2 ORDER BY run_at LIMIT $3 FOR UPDATE SKIP LOCKED)
                RETURNING \(Self.taskColumns)
                """,
                [.integer(leaseUntil), .integer(now), .integer(Int64(limit))], Self.task
            ).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func extendTaskLeases(ids: [String], from current: Int64, to until: Int64) async throws {
        if ids.isEmpty { return }
        try await write { db in
            try await db.sql.run(
                "UPDATE tasks SET run_at = $1 WHERE run_at = $2 AND dead_at IS NULL AND id = ANY($3)",
                [.integer(until), .integer(current), .texts(ids)])
        }
    }

    public func completeTask(id: String) async throws {
        try await write { db in try await db.sql.run("DELETE FROM tasks WHERE id = $1", [.text(id)]) }
    }

    public func retryTask(id: String, runAt: Int64, error: String) async throws {
        try await write { db in
            try await db.sql.run(
                "UPDATE tasks SET run_at = $1, last_error = $2 WHERE id = $3 AND dead_at IS NULL", [.integer(runAt), .text(error), .text(id)])
        }
    }

    public func buryTask(id: String, at time: Int64, error: String) async throws {
        try await write { db in
            try await db.sql.run("UPDATE tasks SET dead_at = $1, last_error = $2 WHERE id = $3", [.integer(time), .text(error), .text(id)])
        }
    }

    public func deadTasks(limit: Int) async throws -> [TaskRecord] {
        try await read {
            try await $0.all(
                "SELECT \(Self.taskColumns) FROM tasks WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT $1",
                [.integer(Int64(limit))], Self.task)
        }
    }
}
