import ParleyProtocol

/// Validation of message content per `contentType`.
enum MessageContent {
    /// Checks `content` against its type's schema and returns it normalized, with the JSON
    /// text to store.
    static func validate(type: String, content: JSONValue, limits: ChatLimits) throws -> (value: JSONValue, text: String) {
        switch type {
        case "text":
            guard case .object(let fields) = content, let value = fields["text"] else {
                throw ChatError.badRequest("text content must be an object with a 'text' string")
            }
            guard case .string(let text) = value else {
                throw ChatError.badRequest("field 'content.text' must be a string")
            }
            if text.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) {
                throw ChatError.badRequest("field 'content.text' must not be empty")
            }
            let length = text.unicodeScalars.count
            if length > limits.maxTextLength {
                throw ChatError(.tooLarge, "text is \(length) characters; the limit is \(limits.maxTextLength)")
            }
            if fields.count > 1 {
                throw ChatError.badRequest("text content has only the field 'text'")
            }
            let normalized = JSONValue.object(["text": .string(text)])
            return (normalized, normalized.jsonText)
        default:
            throw ChatError.badRequest("unsupported contentType '\(type.prefix(32))'")
        }
    }
}
