import Foundation

extension Sequence where Element == UInt8 {
    /// The bytes in lowercase hexadecimal (digests: sha256 ids, ETags, signatures).
    public var hexadecimal: String { map { String(format: "%02x", $0) }.joined() }
}
