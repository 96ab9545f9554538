import ParleyProtocol

extension Chat {
    /// Applies the sensitive-word rules to what a message says: the text of `text` messages
    /// (masked in place, or refused with `forbidden`), and the names of files, locations and cards.
    func screen(_ content: (value: JSONValue, text: String), type: String) throws -> (value: JSONValue, text: String) {
        let fields: [String]
        switch type {
        case "text": fields = ["text"]
        case "file": fields = ["name"]
        case "location": fields = ["name", "address"]
        case "card": fields = ["displayName"]
        case "forward": fields = ["title"]
        default: return content
        }
        guard case .object(var object) = content.value else { return content }
        let filter = rules.filter
        var changed = false
        for field in fields {
            guard let text = object[field]?.stringValue else { continue }
            switch filter.check(text) {
            case .clean:
                continue
            case .masked(let masked, let hits):
                metrics.filterMasked.add(hits)
                object[field] = .string(masked)
                changed = true
            case .rejected:
                metrics.filterRejected.add()
                throw ChatError.forbidden("the message was refused by the content filter")
            }
        }
        guard changed else { return content }
        let value = JSONValue.object(object)
        return (value, value.jsonText)
    }
}
