import Foundation
import Logging

/// The monthly partitions of `messages`. Each start (and each day a node runs) creates the
/// partitions of the current month and the next two, so writes land in a month's partition;
/// the default partition only catches clocks far off.
enum MessagePartitions {
    static func ensure(_ sql: SQLSession, now: Date, monthsAhead: Int = 2, logger: Logger) async throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let components = calendar.dateComponents([.year, .month], from: now)
        guard let thisMonth = calendar.date(from: components) else { return }
        for offset in 0...monthsAhead {
            guard let start = calendar.date(byAdding: .month, value: offset, to: thisMonth),
                let end = calendar.date(byAdding: .month, value: 1, to: start)
            else { continue }
            let parts = calendar.dateComponents([.year, .month], from: start)
            let name = String(format: "messages_%04d_%02d", parts.year ?? 0, parts.month ?? 0)
            let from = Int64(start.timeIntervalSince1970 * 1000), to = Int64(end.timeIntervalSince1970 * 1000)
            do {
                try await sql.run("CREATE TABLE IF NOT EXISTS \(name) PARTITION OF messages FOR VALUES FROM (\(from)) TO (\(to))")
            } catch {
                // Rows of that month already sit in the default partition (a clock jumped):
                // they stay there, readable as before.
                logger.warning("message partition not created", metadata: ["partition": "\(name)", "error": "\(error)"])
            }
        }
    }
}
