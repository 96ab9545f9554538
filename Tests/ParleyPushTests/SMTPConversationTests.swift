@testable import ParleyPush
import Testing

@Suite("SMTP conversation (no socket)")
struct SMTPConversationTests {
    typealias Reply = SMTPConversation.Reply

    func conversation(credentials: (String, String)? = nil, security: SMTPConversation.Security = .startTLSWhenOffered) -> SMTPConversation {
        SMTPConversation(
            helloName: "parley.localhost", from: "parley@example.com", to: "ann@example.org", message: "Subject: hi\r\n\r\n.line\r\nok",
            credentials: credentials.map { (username: $0.0, password: $0.1) }, security: security)
    }

    @Test func aPlainServerTakesTheMessageInOrder() {
        var smtp = conversation()
        #expect(smtp.receive(Reply(code: 220, lines: ["mx ready"])) == [.send("EHLO parley.localhost")])
        #expect(smtp.receive(Reply(code: 250, lines: ["mx", "8BITMIME"])) == [.send("MAIL FROM:<parley@example.com>")])
        #expect(smtp.receive(Reply(code: 250, lines: ["ok"])) == [.send("RCPT TO:<ann@example.org>")])
        #expect(smtp.receive(Reply(code: 250, lines: ["ok"])) == [.send("DATA")])
        // A line starting with "." is doubled, so it cannot end the data early.
        #expect(smtp.receive(Reply(code: 354, lines: ["go"])) == [.send("Subject: hi\r\n\r\n..line\r\nok\r\n.")])
        #expect(smtp.receive(Reply(code: 250, lines: ["queued"])) == [.send("QUIT"), .finish(.delivered)])
        #expect(smtp.isDone)
        #expect(smtp.closed() == [])
    }

    @Test func starttlsIsUsedWhenOfferedAndHelloIsSaidAgain() {
        var smtp = conversation(credentials: ("parley", "secret"))
        _ = smtp.receive(Reply(code: 220, lines: ["mx"]))
        #expect(smtp.receive(Reply(code: 250, lines: ["mx", "STARTTLS", "AUTH PLAIN LOGIN"])) == [.send("STARTTLS")])
        #expect(smtp.receive(Reply(code: 220, lines: ["go ahead"])) == [.startTLS, .send("EHLO parley.localhost")])
        // Over TLS now: the password may go (AUTH PLAIN of "\0parley\0secret").
        #expect(smtp.receive(Reply(code: 250, lines: ["mx", "AUTH PLAIN LOGIN"])) == [.send("AUTH PLAIN AHBhcmxleQBzZWNyZXQ=")])
        #expect(smtp.receive(Reply(code: 235, lines: ["ok"])) == [.send("MAIL FROM:<parley@example.com>")])
    }

    @Test func credentialsAreNeverSentInTheClear() {
        var smtp = conversation(credentials: ("parley", "secret"))
        _ = smtp.receive(Reply(code: 220, lines: ["mx"]))
        let actions = smtp.receive(Reply(code: 250, lines: ["mx", "AUTH PLAIN"]))
        #expect(actions.first == .send("QUIT"))
        guard case .finish(.permanent(let reason))? = actions.last else { Issue.record("expected a permanent failure"); return }
        #expect(reason.contains("TLS"))
    }

    @Test func aRelayElsewhereMustOfferStarttls() {
        var smtp = conversation(security: .startTLSRequired)
        _ = smtp.receive(Reply(code: 220, lines: ["mx"]))
        let actions = smtp.receive(Reply(code: 250, lines: ["mx", "8BITMIME"]))
        #expect(actions.last == .finish(.permanent("the SMTP server offers no STARTTLS")))
        var offered = conversation(security: .startTLSRequired)
        _ = offered.receive(Reply(code: 220, lines: ["mx"]))
        #expect(offered.receive(Reply(code: 250, lines: ["mx", "STARTTLS"])) == [.send("STARTTLS")])
    }

    @Test func implicitTLSNeedsNoStarttls() {
        var smtp = conversation(credentials: ("u", "p"), security: .implicit)
        _ = smtp.receive(Reply(code: 220, lines: ["mx"]))
        #expect(smtp.receive(Reply(code: 250, lines: ["mx", "STARTTLS", "AUTH PLAIN"])) == [.send("AUTH PLAIN AHUAcA==")])
    }

    @Test func aRefusedRecipientIsToldApartFromATemporaryFailure() {
        var refused = conversation()
        _ = refused.receive(Reply(code: 220, lines: [""]))
        _ = refused.receive(Reply(code: 250, lines: [""]))
        _ = refused.receive(Reply(code: 250, lines: [""]))
        #expect(refused.receive(Reply(code: 550, lines: ["5.1.1 no such user"])).last == .finish(.recipientRefused("550 5.1.1 no such user")))

        var busy = conversation()
        _ = busy.receive(Reply(code: 220, lines: [""]))
        #expect(busy.receive(Reply(code: 421, lines: ["try later"])).last == .finish(.transient("421 try later")))
        // A connection that drops midway is worth another try too.
        var dropped = conversation()
        _ = dropped.receive(Reply(code: 220, lines: [""]))
        #expect(dropped.closed().last == .finish(.transient("the SMTP server closed the connection")))
    }

    @Test func multilineRepliesAreAssembled() throws {
        var reader = SMTPConversation.ReplyReader()
        #expect(try reader.read("250-mx.example.org\r") == nil)
        #expect(try reader.read("250-STARTTLS") == nil)
        #expect(try reader.read("250 AUTH PLAIN") == Reply(code: 250, lines: ["mx.example.org", "STARTTLS", "AUTH PLAIN"]))
        #expect(try reader.read("220 again") == Reply(code: 220, lines: ["again"]))
        #expect(throws: SMTPError.self) { try reader.read("hello") }
        #expect(throws: SMTPError.self) { try reader.read("2500 x") }
    }
}
