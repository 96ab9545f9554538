import Foundation

/// Input that does not follow the protocol: malformed JSON, a missing field, a wrong type,
/// a value out of bounds. Always answered with `bad_request` and this message.
public struct ProtocolViolation: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String

    public init(message: String) { self.message = message }

    /// Describes a `DecodingError` in terms of the wire: which field, what was wrong.
    public init(_ error: DecodingError) {
        func path(_ codingPath: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            var keys = codingPath
            if let last { keys.append(last) }
            let parts = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return parts.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case .keyNotFound(let key, let context):
            self.message = "missing field '\(path(context.codingPath, key))'"
        case .valueNotFound(_, let context):
            self.message = "field '\(path(context.codingPath))' must not be null"
        case .typeMismatch(let type, let context):
            if context.codingPath.isEmpty {
                self.message = "the body must be a JSON object"
            } else if let kind = Self.describe(type) {
                self.message = "field '\(path(context.codingPath))' must be \(kind)"
            } else {
                self.message = "field '\(path(context.codingPath))' has the wrong type"
            }
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self.message = "malformed JSON"
            } else {
                // The decoder's own text names Swift types ("Cannot initialize ReceiptStatus from…"):
                // the wire says only which field.
                self.message = "field '\(path(context.codingPath))' has an invalid value"
            }
        @unknown default:
            self.message = "malformed request"
        }
    }

    public var description: String { message }

    /// The JSON kind a Swift type stands for; nil for anything else (its name is not for clients).
    private static func describe(_ type: Any.Type) -> String? {
        switch type {
        case is String.Type: return "a string"
        case is Int.Type, is Int64.Type, is Double.Type: return "a number"
        case is Bool.Type: return "a boolean"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return nil
        }
    }
}
