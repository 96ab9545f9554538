import ParleyStore

extension SQLiteStore {
    static let taskColumns = "id, kind, payload, attempts, run_at, created_at, last_error, dead_at"

    static func task(_ row: SQLRow) -> TaskRecord {
        TaskRecord(
            id: row.text(0), kind: row.text(1), payload: row.text(2), attempts: Int(row.int(3)), runAt: row.int(4),
            createdAt: row.int(5), lastError: row.optionalText(6), deadAt: row.optionalInt(7))
    }

    public func enqueueTasks(_ tasks: [TaskRecord]) async throws {
        if tasks.isEmpty { return }
        try await write { db in
            for task in tasks { try Self.insert(task, into: db) }
        }
    }

    /// Adds a task inside a caller's transaction; an id already queued is ignored.
    static func insert(_ task: TaskRecord, into db: SQLiteConnection) throws {
        try db.run(
            "INSERT INTO tasks (\(taskColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            [.text(task.id), .text(task.kind), .text(task.payload), .integer(Int64(task.attempts)), .integer(task.runAt),
             .integer(task.createdAt), SQLValue(task.lastError), SQLValue(task.deadAt)])
    }

    public func claimTasks(now: Int64, leaseUntil: Int64, limit: Int) async throws -> [TaskRecord] {
        // One writer: the select and the update cannot interleave with another claim.
        try await write { db in
            try db.all(
                """
                UPDATE tasks SET attempts = attempts + 1, run_at = ?
                WHERE id IN (SELECT id FROM tasks WHERE dead_at IS NULL AND run_at <= ? ORDER BY run_at LIMIT ?)
                RETURNING \(Self.taskColumns)
                """,
                [.integer(leaseUntil), .integer(now), .integer(Int64(limit))], Self.task
            ).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
        }
    }

    public func extendTaskLeases(ids: [String], from current: Int64, to until: Int64) async throws {
        if ids.isEmpty { return }
        try await write { db in
            let marks = Array(repeating: "?", count: ids.count).joined(separator: ",")
            try db.run(
                "UPDATE tasks SET run_at = ? WHERE run_at = ? AND dead_at IS NULL AND id IN (\(marks))",
                [.integer(until), .integer(current)] + ids.map { .text($0) })
        }
    }

    public func completeTask(id: String) async throws {
        try await write { db in try db.run("DELETE FROM tasks WHERE id = ?", [.text(id)]) }
    }

    public func retryTask(id: String, runAt: Int64, error: String) async throws {
        try await write { db in
            try db.run("UPDATE tasks SET run_at = ?, last_error = ? WHERE id = ? AND dead_at IS NULL", [.integer(runAt), .text(error), .text(id)])
        }
    }

    public func buryTask(id: String, at time: Int64, error: String) async throws {
        try await write { db in
            try db.run("UPDATE tasks SET dead_at = ?, last_error = ? WHERE id = ?", [.integer(time), .text(error), .text(id)])
        }
    }

    public func deadTasks(limit: Int) async throws -> [TaskRecord] {
        try await read { db in
            try db.all(
                "SELECT \(Self.taskColumns) FROM tasks WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT ?",
                [.integer(Int64(limit))], Self.task)
        }
    }
}
