import Foundation
import ParleyCore

/// `Upload-Metadata`: comma-separated pairs of a key and its value in base64 (a key alone
/// has no value), as tus 1.0 defines it.
enum TusMetadata {
    static func parse(_ header: String?) throws -> [String: String] {
        guard let header, !header.trimmingCharacters(in: .whitespaces).isEmpty else { return [:] }
        if header.utf8.count > 4_096 { throw ChatError.badRequest("'Upload-Metadata' is longer than 4096 bytes") }
        var pairs: [String: String] = [:]
        for item in header.split(separator: ",") {
            let parts = item.trimmingCharacters(in: .whitespaces).split(separator: " ", maxSplits: 1)
            guard let key = parts.first.map(String.init), !key.isEmpty else { continue }
            if parts.count == 1 {
                pairs[key] = ""
                continue
            }
            guard let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
                let value = String(data: data, encoding: .utf8)
            else {
                throw ChatError.badRequest("'Upload-Metadata' value of '\(key.prefix(32))' is not base64 of UTF-8 text")
            }
            pairs[key] = value
        }
        return pairs
    }
}
