import Foundation

/// Encodings both engines store text in the same way.
public enum StoredText {
    /// A list of ids as JSON text; nil for an empty list.
    public static func list(_ items: [String]) -> String? {
        if items.isEmpty { return nil }
        return (try? JSONEncoder().encode(items)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The list back from its JSON text; empty when absent or unreadable.
    public static func list(from text: String?) -> [String] {
        guard let text, let data = text.data(using: .utf8) else { return [] }
        return (try? JSONDecoder().decode([String].self, from: data)) ?? []
    }

    /// A `LIKE` pattern matching text that contains `text` (wildcards escaped with `\`).
    public static func containing(_ text: String) -> String {
        "%" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}

/// The refresh-token hashes a login had before its current one, newest last, as stored
/// (space-separated): enough to tell a stolen, already-rotated token from a guess.
public struct RotatedHashes: Sendable, Equatable {
    /// Hashes kept; a token older than this many rotations counts as unknown.
    public static let kept = 32
    public private(set) var hashes: [String]

    public init(_ text: String) {
        hashes = text.split(separator: " ").map(String.init)
    }

    public func contains(_ hash: String) -> Bool { hashes.contains(hash) }

    /// With `hash` added, the oldest dropped past `kept`.
    public func adding(_ hash: String) -> RotatedHashes {
        var copy = self
        copy.hashes.append(hash)
        if copy.hashes.count > Self.kept { copy.hashes.removeFirst(copy.hashes.count - Self.kept) }
        return copy
    }

    public var text: String { hashes.joined(separator: " ") }
}
