import Crypto
import Foundation

/// The claims of an access token.
public struct AccessClaims: Codable, Sendable, Equatable {
    /// The user id.
    public var sub: String
    /// The login (auth session) the token belongs to; revoking it revokes the token.
    public var sid: String
    public var iat: Int64
    public var exp: Int64

    public init(sub: String, sid: String, iat: Int64, exp: Int64) {
        self.sub = sub
        self.sid = sid
        self.iat = iat
        self.exp = exp
    }
}

/// Signs and verifies access tokens: JWTs with HS256 over a configured secret.
public struct AccessTokenSigner: Sendable {
    // Kept as bytes: `SymmetricKey` is not Sendable; making one per use is cheap.
    private let secret: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: secret) }
    private static let header = base64URL(Data(#"{"alg":"HS256","typ":"JWT"}"#.utf8))

    /// - Parameter secret: at least 32 bytes.
    public init(secret: [UInt8]) {
        precondition(secret.count >= 32, "the JWT secret must be at least 32 bytes")
        self.secret = secret
    }

    public func sign(_ claims: AccessClaims) -> String {
        let payload = Self.base64URL((try? JSONEncoder().encode(claims)) ?? Data())
        let input = Self.header + "." + payload
        let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: key)
        return input + "." + Self.base64URL(Data(mac))
    }

    /// The claims of a well-signed, unexpired token; nil otherwise.
    public func verify(_ token: String, now: Int64) -> AccessClaims? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard token.utf8.count < 4096, parts.count == 3, parts[0] == Self.header,
            let signature = Self.decodeBase64URL(parts[2]),
            HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: Data("\(parts[0]).\(parts[1])".utf8), using: key),
            let body = Self.decodeBase64URL(parts[1]),
            let claims = try? JSONDecoder().decode(AccessClaims.self, from: body),
            // In seconds: `exp * 1000` would overflow (and trap) for a huge `exp`.
            claims.exp > now / 1000
        else { return nil }
        return claims
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// base64url of a string, for tests that forge tokens.
    public static func base64URLForTesting(_ text: String) -> String { base64URL(Data(text.utf8)) }

    static func decodeBase64URL(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
