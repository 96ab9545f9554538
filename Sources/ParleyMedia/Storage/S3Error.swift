import Crypto

/// An S3 answer that was not a success.
public struct S3Error: Error, CustomStringConvertible {
    public var status: Int
    public var detail: String
    public var description: String { "S3 answered \(status) (\(detail))" }
}

enum SHA256Digest {
    static func of(_ bytes: [UInt8]) -> [UInt8] {
        Array(Crypto.SHA256.hash(data: bytes))
    }
}
