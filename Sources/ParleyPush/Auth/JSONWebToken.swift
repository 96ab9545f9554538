import Crypto
import Foundation
import _CryptoExtras

/// Compact JSON Web Tokens as push services want them: ES256 (APNs' provider token) and
/// RS256 (the OAuth assertion of a Google service account).
enum JSONWebToken {
    static func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// `header.claims`, base64url-encoded JSON each.
    static func signingInput(header: [String: Any], claims: [String: Any]) throws -> String {
        let h = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        let c = try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys])
        return base64URL(h) + "." + base64URL(c)
    }

    /// ES256: the signature is r‖s, 64 bytes (JWS), not DER.
    static func es256(header: [String: Any], claims: [String: Any], key: P256.Signing.PrivateKey) throws -> String {
        let input = try signingInput(header: ["alg": "ES256"].merging(header) { $1 }, claims: claims)
        let signature = try key.signature(for: Data(input.utf8))
        return input + "." + base64URL(signature.rawRepresentation)
    }

    /// RS256: RSASSA-PKCS1-v1_5 with SHA-256, which the OAuth JWT-bearer grant requires.
    static func rs256(header: [String: Any], claims: [String: Any], key: _RSA.Signing.PrivateKey) throws -> String {
        let input = try signingInput(header: ["alg": "RS256", "typ": "JWT"].merging(header) { $1 }, claims: claims)
        let signature = try key.signature(for: SHA256.hash(data: Data(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + base64URL(signature.rawRepresentation)
    }
}
