import Foundation
import ParleyCore

/// An e-mail as SMTP carries it (RFC 5322 with MIME): UTF-8 text in base64, a subject in an
/// encoded word when it is not plain ASCII, so no user-written text can add a header or end the data.
enum EmailMessage {
    static func render(_ email: OutgoingEmail, from: String, date: Date = Date()) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        let body = Data(email.body.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        let headers = [
            "From: Parley <\(from)>",
            "To: <\(email.to)>",
            "Subject: \(encodedWord(email.subject))",
            "Date: \(formatter.string(from: date))",
            "Message-ID: <\(messageIdPart(email.id))@parley>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: base64",
            "Auto-Submitted: auto-generated",
        ]
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + body
    }

    /// Printable ASCII stays; anything else is `=?UTF-8?B?…?=` (split so no word passes 75 characters).
    static func encodedWord(_ text: String) -> String {
        if text.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x20 && $0.value < 0x7F }) { return text }
        var words: [String] = []
        var chunk = ""
        for character in text {
            if (chunk + String(character)).utf8.count > 45 {
                words.append(chunk)
                chunk = ""
            }
            chunk.append(character)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    /// The id's safe characters only (it names a token and a conversation).
    static func messageIdPart(_ id: String) -> String {
        String(id.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.".unicodeScalars.contains($0)) })
    }
}
