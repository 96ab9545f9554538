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
