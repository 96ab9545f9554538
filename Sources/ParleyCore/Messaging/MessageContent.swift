import Foundation
import ParleyProtocol

/// The content types and their schemas (docs/protocol.md §3). A bad field is named in the
/// `bad_request` message: `'content.url' must be an http(s) URL`.
enum MessageContent {
    /// Every type a client may send. `forward` is checked and expanded by `Chat` (it needs the
    /// store); events (`recall`, `edit`) are the server's own.
    static let clientTypes = ["text", "image", "video", "audio", "file", "sticker", "card", "location", "forward", "custom"]

    /// Types whose content may name uploaded media (`mediaId`).
    static let mediaTypes: Set<String> = ["image", "video", "audio", "file"]

    /// The uploads a message's content references: its own `mediaId`, and for a forward, those
    /// of the messages it carries (so its recipients may read them).
    static func mediaIds(type: String, content: JSONValue) -> [String] {
        if mediaTypes.contains(type) { return content["mediaId"]?.stringValue.map { [$0] } ?? [] }
        guard type == "forward", case .array(let messages)? = content["messages"] else { return [] }
        return messages.flatMap { item -> [String] in
            guard let inner = item["contentType"]?.stringValue, let content = item["content"] else { return [] }
            return mediaTypes.contains(inner) ? (content["mediaId"]?.stringValue.map { [$0] } ?? []) : []
        }.distinct
    }

    /// Types whose content may be edited after sending.
    static let editableTypes: Set<String> = ["text", "custom"]

    /// Checks `content` against its type's schema and returns it normalized (unknown fields
    /// refused), with the JSON text to store.
    static func validate(type: String, content: JSONValue, limits: ChatLimits) throws -> (value: JSONValue, text: String) {
        guard case .object(let fields) = content else {
            throw ChatError.badRequest("'content' must be an object")
        }
        let schema: [Field]
        // Content naming uploaded media carries the server's paths for it (filled by `Chat`).
        let media = mediaTypes.contains(type) ? fields["mediaId"]?.stringValue : nil
        switch type {
        case "text":
            schema = [.text("text", max: limits.maxTextLength)]
        case "image":
            schema = [.url("url", media: media), .integer("width", 1...100_000, optional: true), .integer("height", 1...100_000, optional: true),
                      .integer("size", 0...Int64(1) << 40, optional: true), .string("mimeType", max: 128, optional: true),
                      .url("thumbnailUrl", optional: true, media: media), .mediaId()]
        case "video":
            schema = [.url("url", media: media), .number("duration", 0.001...86_400, optional: media != nil),
                      .integer("width", 1...100_000, optional: true),
                      .integer("height", 1...100_000, optional: true), .integer("size", 0...Int64(1) << 40, optional: true),
                      .string("mimeType", max: 128, optional: true), .url("thumbnailUrl", optional: true, media: media), .mediaId()]
        case "audio":
            schema = [.url("url", media: media), .number("duration", 0.001...86_400, optional: media != nil),
                      .integer("size", 0...Int64(1) << 40, optional: true), .string("mimeType", max: 128, optional: true), .mediaId()]
        case "file":
            schema = [.url("url", media: media), .label("name", max: 255), .integer("size", 0...Int64(1) << 40),
                      .string("mimeType", max: 128, optional: true), .mediaId()]
        case "sticker":
            schema = [.string("stickerId", max: 128), .string("packId", max: 128, optional: true), .url("url", optional: true)]
        case "card":
            schema = [.string("userId", max: limits.maxClientIdLength), .label("displayName", max: 64, optional: true),
                      .url("avatar", optional: true)]
        case "location":
            schema = [.number("latitude", -90...90), .number("longitude", -180...180), .label("name", max: 255, optional: true),
                      .label("address", max: 1_000, optional: true)]
        case "custom":
            schema = [.string("customType", max: 64), .any("data", maxBytes: limits.maxCustomBytes)]
        case "forward":
            schema = [.string("conversationId", max: limits.maxClientIdLength), .ids("messageIds", 1...limits.maxForwardMessages),
                      .label("title", max: 255, optional: true)]
        default:
            throw ChatError.badRequest("unsupported contentType '\(type.prefix(32))'; one of \(clientTypes.joined(separator: ", "))")
        }
        let known = Set(schema.map(\.name))
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw ChatError.badRequest("'content.\(unknown.prefix(64))' is not a field of \(type) content")
        }
        var normalized: [String: JSONValue] = [:]
        for field in schema {
            if let value = try field.check(fields[field.name]) { normalized[field.name] = value }
        }
        // Uploaded media was held to the upload limits; the rules are for media hosted elsewhere.
        if media == nil, let rule = limits.mediaRules[type] { try check(normalized, against: rule, type: type) }
        let value = JSONValue.object(normalized)
        return (value, value.jsonText)
    }

    /// Media rules: the declared size and MIME type must fit the kind.
    private static func check(_ fields: [String: JSONValue], against rule: MediaRule, type: String) throws {
        if case .number(let size)? = fields["size"], size > Double(rule.maxBytes) {
            throw ChatError(.tooLarge, "'content.size' is over the \(type) limit of \(rule.maxBytes) bytes")
        }
        if let prefix = rule.mimePrefix, let mime = fields["mimeType"]?.stringValue, !mime.lowercased().hasPrefix(prefix) {
            throw ChatError.badRequest("'content.mimeType' of \(type) content must be \(prefix)…")
        }
    }

    /// The plain text a message contributes to search and previews.
    static func searchableText(type: String, content: JSONValue?) -> String? {
        guard let content else { return nil }
        switch type {
        case "text": return content["text"]?.stringValue
        case "file": return content["name"]?.stringValue
        case "location": return [content["name"]?.stringValue, content["address"]?.stringValue].compactMap { $0 }.joined(separator: " ")
        case "card": return content["displayName"]?.stringValue
        case "forward": return content["title"]?.stringValue
        default: return nil
        }
    }

    /// One field of a schema.
    struct Field {
        let name: String
        let optional: Bool
        let check: (JSONValue) throws -> JSONValue

        func check(_ value: JSONValue?) throws -> JSONValue? {
            guard let value, value != .null else {
                if optional { return nil }
                throw ChatError.badRequest("missing field 'content.\(name)'")
            }
            return try check(value)
        }

        static func string(_ name: String, max: Int, optional: Bool = false) -> Field {
            Field(name: name, optional: optional) { value in
                guard case .string(let text) = value else { throw ChatError.badRequest("'content.\(name)' must be a string") }
                if text.isEmpty { throw ChatError.badRequest("'content.\(name)' must not be empty") }
                if text.unicodeScalars.count > max { throw ChatError.badRequest("'content.\(name)' is longer than \(max) characters") }
                return value
            }
        }

        /// A string shown as a name or label (a file name, a place): as `string`, and free of
        /// control, invisible and text-direction characters ("invoice\u{202E}fdp.exe").
        static func label(_ name: String, max: Int, optional: Bool = false) -> Field {
            let plain = string(name, max: max, optional: optional)
            return Field(name: name, optional: optional) { value in
                let checked = try plain.check(Optional(value)) ?? value
                if case .string(let text) = value, text.unicodeScalars.contains(where: UserText.isDisruptive) {
                    throw ChatError.badRequest("'content.\(name)' must not contain control, invisible or text-direction characters")
                }
                return checked
            }
        }

        /// Message text: not only whitespace; too long is `too_large`.
        static func text(_ name: String, max: Int) -> Field {
            Field(name: name, optional: false) { value in
                guard case .string(let text) = value else { throw ChatError.badRequest("field 'content.\(name)' must be a string") }
                if text.unicodeScalars.allSatisfy({ $0.properties.isWhitespace }) {
                    throw ChatError.badRequest("field 'content.\(name)' must not be empty")
                }
                let length = text.unicodeScalars.count
                if length > max { throw ChatError(.tooLarge, "text is \(length) characters; the limit is \(max)") }
                return value
            }
        }

        /// The id of an upload (`m_…`); `Chat` has checked it names one the sender may send.
        static func mediaId() -> Field {
            Field(name: "mediaId", optional: true) { value in
                guard case .string(let id) = value, MediaLibrary.isMediaId(id) else {
                    throw ChatError.badRequest("'content.mediaId' must be the id of an upload (m_…)")
                }
                return value
            }
        }

        /// An http(s) URL; or, in content naming the upload `media`, the server's path of it
        /// (`/v1/media/<id>`, `…/thumbnail`) and no other.
        static func url(_ name: String, optional: Bool = false, media: String? = nil) -> Field {
            Field(name: name, optional: optional) { value in
                if let media, case .string(let text) = value, text.hasPrefix("/") {
                    guard text == "/v1/media/\(media)" || text == "/v1/media/\(media)/thumbnail" else {
                        throw ChatError.badRequest("'content.\(name)' must be an http(s) URL or this media's path")
                    }
                    return value
                }
                guard case .string(let text) = value, text.utf8.count <= 2_048, let url = URL(string: text),
                    let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http", url.host?.isEmpty == false
                else {
                    throw ChatError.badRequest("'content.\(name)' must be an http(s) URL of at most 2048 characters")
                }
                return value
            }
        }

        static func integer(_ name: String, _ range: ClosedRange<Int64>, optional: Bool = false) -> Field {
            Field(name: name, optional: optional) { value in
                guard case .number(let number) = value, number.rounded() == number, range.contains(Int64(exactly: number) ?? Int64.min)
                else {
                    throw ChatError.badRequest("'content.\(name)' must be an integer in \(range.lowerBound)…\(range.upperBound)")
                }
                return value
            }
        }

        static func number(_ name: String, _ range: ClosedRange<Double>, optional: Bool = false) -> Field {
            Field(name: name, optional: optional) { value in
                guard case .number(let number) = value, number.isFinite, range.contains(number) else {
                    throw ChatError.badRequest("'content.\(name)' must be a number in \(range.lowerBound)…\(range.upperBound)")
                }
                return value
            }
        }

        static func ids(_ name: String, _ count: ClosedRange<Int>) -> Field {
            Field(name: name, optional: false) { value in
                guard case .array(let items) = value, count.contains(items.count),
                    items.allSatisfy({ if case .string(let id) = $0 { !id.isEmpty && id.utf8.count <= 128 } else { false } })
                else {
                    throw ChatError.badRequest("'content.\(name)' must list \(count.lowerBound) to \(count.upperBound) message ids")
                }
                return value
            }
        }

        static func any(_ name: String, maxBytes: Int) -> Field {
            Field(name: name, optional: true) { value in
                let size = value.jsonText.utf8.count
                if size > maxBytes { throw ChatError(.tooLarge, "'content.\(name)' is \(size) bytes; the limit is \(maxBytes)") }
                // Foundation reads JSON 512 levels deep but writes only 511: a message nested near
                // that could be stored and then never sent again (every history page holding it
                // would fail to encode). Found while writing the fuzz targets.
                if depth(of: value) > maxDepth {
                    throw ChatError.badRequest("'content.\(name)' is nested more than \(maxDepth) levels deep")
                }
                return value
            }
        }

        /// The deepest nesting any JSON a client sends inside content may have.
        static let maxDepth = 32

        static func depth(of value: JSONValue) -> Int {
            switch value {
            case .array(let items): 1 + (items.map(depth(of:)).max() ?? 0)
            case .object(let fields): 1 + (fields.values.map(depth(of:)).max() ?? 0)
            default: 0
            }
        }
    }
}
