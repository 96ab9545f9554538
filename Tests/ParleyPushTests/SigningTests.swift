import Crypto
import Foundation
import ParleyCore
@testable import ParleyPush
import Testing

@Suite("Push credentials and signatures")
struct SigningTests {
    static func base64URLDecoded(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    @Test func anAPNsProviderTokenVerifiesWithThePublicKey() throws {
        let key = P256.Signing.PrivateKey()
        let token = try JSONWebToken.es256(header: ["kid": "KEY123"], claims: ["iss": "TEAM42", "iat": 1_700_000_000], key: key)
        let parts = token.split(separator: ".")
        #expect(parts.count == 3)
        let header = try JSONSerialization.jsonObject(with: try #require(Self.base64URLDecoded(parts[0]))) as? [String: Any]
        #expect(header?["alg"] as? String == "ES256" && header?["kid"] as? String == "KEY123")
        let claims = try JSONSerialization.jsonObject(with: try #require(Self.base64URLDecoded(parts[1]))) as? [String: Any]
        #expect(claims?["iss"] as? String == "TEAM42" && claims?["iat"] as? Int == 1_700_000_000)
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: try #require(Self.base64URLDecoded(parts[2])))
        #expect(key.publicKey.isValidSignature(signature, for: Data("\(parts[0]).\(parts[1])".utf8)))
        #expect(!key.publicKey.isValidSignature(signature, for: Data("\(parts[0]).e30".utf8)))
    }

    @Test func theWebhookSignatureIsHMACOfTimeAndBody() {
        let body = Array(#"{"a":1}"#.utf8)
        let header = WebhookSignature.header(secret: "s3cret", body: body, at: 1_700_000_000)
        let expected = HMAC<SHA256>.authenticationCode(for: Array("1700000000.".utf8) + body, using: SymmetricKey(data: Array("s3cret".utf8)))
        #expect(header == "t=1700000000,v1=" + expected.map { String(format: "%02x", $0) }.joined())
        #expect(WebhookSignature.header(secret: "other", body: body, at: 1_700_000_000) != header)
    }

    @Test func apnsIdsAreStableUUIDsAndCollapseIdsFit() {
        let id = APNsProvider.uuid("m1.t1")
        #expect(id == APNsProvider.uuid("m1.t1") && id != APNsProvider.uuid("m1.t2"))
        #expect(UUID(uuidString: id) != nil)
        #expect(APNsProvider.collapseId("p_1_2") == "p_1_2")
        #expect(APNsProvider.collapseId(String(repeating: "g", count: 80)).utf8.count == 64)
    }

    @Test func anEmailCannotCarryAHeaderOrEndItsDataEarly() {
        let email = OutgoingEmail(to: "ann@example.org", subject: "New messages from 王小明\r\nBcc: x@evil", body: ".\r\nQUIT\r\n", id: "email-t1-p_1_2-7")
        let text = EmailMessage.render(email, from: "parley@example.com", date: Date(timeIntervalSince1970: 0))
        let headers = text.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(!headers.contains { $0.hasPrefix("Bcc:") })
        #expect(headers.contains("Date: Thu, 01 Jan 1970 00:00:00 +0000"))
        #expect(headers.contains("Message-ID: <email-t1-p_1_2-7@parley>"))
        let subject = headers.first { $0.hasPrefix("Subject: ") }!
        #expect(subject.hasPrefix("Subject: =?UTF-8?B?"))
        // The body is base64: no line of it is ".".
        #expect(!text.components(separatedBy: "\r\n").contains("."))
        #expect(EmailMessage.encodedWord("plain ascii") == "plain ascii")
    }

    @Test func envelopeAddressesAreChecked() {
        #expect(Chat.isEmailAddress("ann@example.org"))
        #expect(!Chat.isEmailAddress("ann@example.org>\r\nRCPT TO:<x@y.z"))
        #expect(!Chat.isEmailAddress("no-at-sign"))
        #expect(!Chat.isEmailAddress("a@b@c.d"))
    }
}
