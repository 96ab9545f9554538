import Foundation
import ParleyProtocol
import ParleyStore

/// What a push says about a message: who sent it, a preview of what, and whether it may ring.
enum PushContent {
    /// The title and body of a push for `message` (title "New message" and no body when the user
    /// turned previews off).
    static func text(
        of message: MessageRecord, sender: UserRecord?, groupName: String?, preview: Bool
    ) -> (title: String, body: String) {
        guard preview else { return ("New message", "") }
        let name = sender.map { $0.displayName.isEmpty ? $0.username : $0.displayName } ?? "Someone"
        let title = groupName.map { "\(name) @ \($0)" } ?? name
        return (clipped(title, to: 100, bytes: 200), body(of: message))
    }

    /// A text message's first 100 characters; a bracketed kind for anything else.
    static func body(of message: MessageRecord) -> String {
        guard message.contentType == "text" else {
            switch message.contentType {
            case "image", "video", "audio", "file", "sticker", "card", "location", "forward": return "[\(message.contentType)]"
            default: return "[message]"
            }
        }
        let text = message.content.map(JSONValue.init(jsonText:))?["text"]?.stringValue ?? ""
        return clipped(text, to: 100, bytes: 400)
    }

    /// At most `limit` characters and `bytes` UTF-8 bytes, cut between characters, with "…"
    /// when cut; newlines become spaces. Both bounds: one character may hold thousands of
    /// combining marks, and a provider refuses a payload over 4 KiB.
    static func clipped(_ text: String, to limit: Int, bytes: Int) -> String {
        var kept = ""
        var count = 0
        var size = 0
        for character in text {
            let shown: Character = character == "\n" || character == "\r\n" || character == "\r" ? " " : character
            let length = shown.utf8.count
            if count == limit || size + length > bytes { return kept + "…" }
            kept.append(shown)
            count += 1
            size += length
        }
        return kept
    }

    /// Whether `now` (ms since 1970) falls in the quiet hours, in their time zone. A window whose
    /// start is after its end runs over midnight; the end minute is outside; equal start and end
    /// mean the whole day.
    static func isQuiet(_ quiet: PushSettingsRecord.QuietHours?, at now: Int64) -> Bool {
        guard let quiet, let zone = TimeZone(identifier: quiet.timeZone) else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.hour, .minute], from: Date(timeIntervalSince1970: Double(now) / 1000))
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        if quiet.startMinute == quiet.endMinute { return true }
        if quiet.startMinute < quiet.endMinute { return minute >= quiet.startMinute && minute < quiet.endMinute }
        return minute >= quiet.startMinute || minute < quiet.endMinute
    }
}
