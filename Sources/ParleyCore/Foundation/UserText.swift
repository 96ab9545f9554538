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
        try refuseDisruptive(trimmed, named: name)
        guard trimmed.unicodeScalars.contains(where: isVisible) else {
            throw ChatError.badRequest("'\(name)' must contain a visible character")
        }
        return trimmed
    }

    /// Text of several lines others read (an announcement, a request's message): bounded, and
    /// free of bidi controls and control characters other than newline and tab.
    static func text(_ text: String, named name: String, max: Int) throws -> String {
        let bounded = try bounded(text, named: name, max: max)
        try refuseDisruptive(bounded, named: name, allowing: ["\n", "\t"])
        return bounded
    }

    private static func refuseDisruptive(_ text: String, named name: String, allowing allowed: Set<Unicode.Scalar> = []) throws {
        if let bad = text.unicodeScalars.first(where: { isDisruptive($0) && !allowed.contains($0) }) {
            throw ChatError.badRequest(
                "'\(name)' must not contain control, invisible or text-direction characters (found U+\(String(bad.value, radix: 16, uppercase: true)))")
        }
    }

    /// Control characters, bidi embeddings/overrides/isolates and marks, line and paragraph
    /// separators, and invisible characters that make a name look like another or like
    /// nothing (zero-width space, word joiners, byte-order mark, Hangul fillers). The zero-width
    /// joiner and non-joiner stay: emoji sequences and Persian need them.
    static func isDisruptive(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        default: break
        }
        switch scalar.value {
        case 0x061C, 0x200B, 0x200E, 0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x2069, 0xFEFF,
            0x115F, 0x1160, 0x3164, 0xFFA0:
            return true
        default: return false
        }
    }

    /// A scalar that shows something: not a space, a mark on another, a format character or
    /// one that renders as nothing.
    static func isVisible(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isWhitespace || properties.isDefaultIgnorableCodePoint { return false }
        switch properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .spaceSeparator, .control: return false
        default: return true
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
