import Foundation

/// Rules for text that users write and others see. Lengths count Unicode scalars, never
/// grapheme clusters: one "character" can hold any number of combining marks, so a limit in
/// characters bounds nothing (64 characters once held 121,664 scalars).
enum UserText {
    /// `text` if it has at most `max` scalars; `bad_request` naming the field otherwise.
    static func bounded(_ text: String, named name: String, max: Int) throws -> String {
        if text.unicodeScalars.count > max { throw ChatError.badRequest("'\(name)' is longer than \(max) characters") }
        return text
    }

    /// A name shown beside others' content (display names, group names): trimmed, 1 to `max`
    /// scalars, and free of what rewrites the text around it on a screen or in a log: control
    /// characters (BEL, ESC and so ANSI sequences, newlines), bidirectional overrides and
    /// isolates, line and paragraph separators.
    static func name(_ text: String, named name: String, max: Int) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.unicodeScalars.count <= max else {
            throw ChatError.badRequest("'\(name)' must be 1 to \(max) characters")
        }
        if let bad = trimmed.unicodeScalars.first(where: isDisruptive) {
            throw ChatError.badRequest(
                "'\(name)' must not contain control or text-direction characters (found U+\(String(bad.value, radix: 16, uppercase: true)))")
        }
        return trimmed
    }

    /// Control characters, bidi embeddings/overrides/isolates and marks, line and paragraph separators.
    static func isDisruptive(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: break
        }
        switch scalar.value {
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true
        default: return false
        }
    }

    /// An http(s) URL of at most 2,048 bytes with a host (an avatar): never `javascript:` or `data:`.
    static func webURL(_ text: String, named name: String) throws -> String {
        guard text.utf8.count <= 2_048, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            scheme == "https" || scheme == "http", url.host?.isEmpty == false,
            !text.unicodeScalars.contains(where: isDisruptive)
        else {
            throw ChatError.badRequest("'\(name)' must be an http(s) URL of at most 2048 bytes")
        }
        return text
    }
}
