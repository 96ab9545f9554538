import Foundation

/// `If-None-Match` (RFC 9110 §13.1.2): whether it names `etag` (weakly compared; `*` names any).
enum EntityTag {
    static func matches(_ header: String?, etag: String) -> Bool {
        guard let header else { return false }
        let bare = etag.trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        for item in header.split(separator: ",") {
            var tag = item.trimmingCharacters(in: .whitespaces)
            if tag == "*" { return true }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            if tag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")) == bare { return true }
        }
        return false
    }
}
