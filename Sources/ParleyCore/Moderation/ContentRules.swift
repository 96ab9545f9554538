import Foundation
import Synchronization

/// The sensitive-word rules in force, loaded from a file and reloaded without a restart
/// (when the file changes, or on an admin call).
public final class ContentRules: Sendable {
    public let path: String?
    private let state: Mutex<(filter: WordFilter, modified: Date?)>

    /// No rules.
    public init() {
        path = nil
        state = Mutex((WordFilter(rules: []), nil))
    }

    /// Rules from `path` (none when nil). A file that cannot be read fails the start.
    public init(path: String?) throws {
        self.path = path
        guard let path else {
            state = Mutex((WordFilter(rules: []), nil))
            return
        }
        let (filter, modified) = try Self.load(path)
        state = Mutex((filter, modified))
    }

    public var filter: WordFilter { state.withLock { $0.filter } }

    /// Reads the file again; returns how many rules are in force.
    @discardableResult
    public func reload() throws -> Int {
        guard let path else { return 0 }
        let (filter, modified) = try Self.load(path)
        state.withLock { $0 = (filter, modified) }
        return filter.rules.count
    }

    /// Reloads when the file's modification time changed; checked every `interval` until cancelled.
    public func watch(every interval: Duration = .seconds(2), onReload: @Sendable (Int) -> Void = { _ in }) async {
        guard let path else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: interval)
            let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
            let known = state.withLock { $0.modified }
            if let modified, modified != known, let count = try? reload() { onReload(count) }
        }
    }

    private static func load(_ path: String) throws -> (WordFilter, Date?) {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
        return (WordFilter(parsing: text), modified)
    }
}
