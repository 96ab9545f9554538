import Foundation

/// One SMTP delivery (RFC 5321) as a pure state machine: it is fed the server's replies and
/// says what to do next (a command to send, TLS to start, the outcome). The socket handler
/// only performs the actions, so every path is tested without a server.
struct SMTPConversation {
    /// A complete reply: its code and its lines' texts.
    struct Reply: Equatable {
        var code: Int
        var lines: [String]
    }

    enum Action: Equatable {
        case send(String)
        /// Put TLS under the connection now (STARTTLS was accepted); the next command goes over it.
        case startTLS
        case finish(Outcome)
    }

    enum Outcome: Equatable {
        case delivered
        /// The server refused the recipient for good (no such mailbox).
        case recipientRefused(String)
        /// A 4xx or a broken conversation: worth another try.
        case transient(String)
        /// A 5xx other than the recipient's.
        case permanent(String)
    }

    enum Security: Equatable {
        /// Upgrade with STARTTLS when the server offers it.
        case startTLSWhenOffered
        /// Upgrade with STARTTLS; a server that does not offer it is refused (no downgrade by
        /// someone on the path stripping the offer).
        case startTLSRequired
        /// The connection is TLS from the first byte (smtps).
        case implicit
    }

    private enum State {
        case greeting, hello, startingTLS, authenticating, mailFrom, recipient, data, content, done
    }

    private var state = State.greeting
    private var secure: Bool
    private let security: Security
    private let helloName: String
    private let from: String
    private let to: String
    private let message: String
    private let credentials: (username: String, password: String)?

    /// - Parameter message: the message (headers and body) with CRLF line ends.
    init(helloName: String, from: String, to: String, message: String, credentials: (username: String, password: String)?, security: Security) {
        self.helloName = helloName
        self.from = from
        self.to = to
        self.message = message
        self.credentials = credentials
        self.security = security
        self.secure = security == .implicit
    }

    var isDone: Bool { state == .done }

    /// The next actions after a reply.
    mutating func receive(_ reply: Reply) -> [Action] {
        let text = "\(reply.code) \(reply.lines.last ?? "")".prefix(120)
        switch (state, reply.code) {
        case (.greeting, 220):
            state = .hello
            return [.send("EHLO \(helloName)")]
        case (.hello, 250):
            let capabilities = reply.lines.dropFirst().map { $0.uppercased() }
            if !secure, security != .implicit {
                if capabilities.contains("STARTTLS") {
                    state = .startingTLS
                    return [.send("STARTTLS")]
                }
                if security == .startTLSRequired { return finish(.permanent("the SMTP server offers no STARTTLS")) }
            }
            if let credentials {
                // A password never crosses the wire in the clear.
                guard secure else { return finish(.permanent("the SMTP server offers no TLS; credentials are not sent in the clear")) }
                guard capabilities.contains(where: { $0.hasPrefix("AUTH") && $0.split(separator: " ").contains("PLAIN") }) else {
                    return finish(.permanent("the SMTP server offers no AUTH PLAIN"))
                }
                state = .authenticating
                let plain = Data("\u{0}\(credentials.username)\u{0}\(credentials.password)".utf8).base64EncodedString()
                return [.send("AUTH PLAIN \(plain)")]
            }
            return mailFrom()
        case (.startingTLS, 220):
            secure = true
            state = .hello
            return [.startTLS, .send("EHLO \(helloName)")]
        case (.authenticating, 235):
            return mailFrom()
        case (.mailFrom, 250):
            state = .recipient
            return [.send("RCPT TO:<\(to)>")]
        case (.recipient, 250), (.recipient, 251):
            state = .data
            return [.send("DATA")]
        case (.recipient, 550), (.recipient, 551), (.recipient, 553):
            return finish(.recipientRefused(String(text)))
        case (.data, 354):
            state = .content
            return [.send(Self.dotStuffed(message) + "\r\n.")]
        case (.content, 250):
            state = .done
            return [.send("QUIT"), .finish(.delivered)]
        case (.done, _):
            return []
        case (_, 400..<500):
            return finish(.transient(String(text)))
        default:
            return finish(.permanent(String(text)))
        }
    }

    /// The connection ended before the message was taken.
    mutating func closed() -> [Action] {
        state == .done ? [] : finish(.transient("the SMTP server closed the connection"))
    }

    private mutating func mailFrom() -> [Action] {
        state = .mailFrom
        return [.send("MAIL FROM:<\(from)>")]
    }

    private mutating func finish(_ outcome: Outcome) -> [Action] {
        let quit = state == .greeting ? [] : [Action.send("QUIT")]
        state = .done
        return quit + [.finish(outcome)]
    }

    /// A line starting with "." gets another (RFC 5321 §4.5.2), so no line ends the data early.
    static func dotStuffed(_ message: String) -> String {
        message.components(separatedBy: "\r\n").map { $0.hasPrefix(".") ? "." + $0 : $0 }.joined(separator: "\r\n")
    }

    /// Assembles replies from lines: `250-…` continues, `250 …` ends one.
    struct ReplyReader {
        private var code: Int?
        private var lines: [String] = []

        /// A complete reply, or nil while it continues. Throws on a line that is no reply.
        mutating func read(_ line: String) throws -> Reply? {
            let trimmed = line.hasSuffix("\r") ? String(line.dropLast()) : line
            let bytes = Array(trimmed.utf8)
            guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200..<600).contains(code),
                bytes.count == 3 || bytes[3] == UInt8(ascii: " ") || bytes[3] == UInt8(ascii: "-"), lines.count < 100
            else {
                throw SMTPError("not an SMTP reply")
            }
            let text = bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : ""
            lines.append(text)
            if bytes.count > 3, bytes[3] == UInt8(ascii: "-") { return nil }
            defer { lines = [] }
            return Reply(code: code, lines: lines)
        }
    }
}

struct SMTPError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
