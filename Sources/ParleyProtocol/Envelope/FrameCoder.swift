import Foundation

/// Encodes server frames to UTF-8 JSON bytes, once per frame: the same bytes are
/// handed to every session the frame fans out to.
public enum FrameCoder {
    /// Encodes a value as compact JSON. Encoding a well-formed frame cannot fail;
    /// a failure is a programming error and traps in debug builds.
    public static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            return Array(try encoder.encode(value))
        } catch {
            assertionFailure("frame encoding failed: \(error)")
            return Array(#"{"type":"error","data":{"code":"internal","message":"encoding failed"}}"#.utf8)
        }
    }

    /// Decodes a JSON body, turning Swift's decoding errors into a `ProtocolViolation`
    /// whose message names the offending field.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws(ProtocolViolation) -> T {
        if containsNUL(data) { throw ProtocolViolation(message: "strings must not contain NUL (\\u0000) characters") }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ProtocolViolation(error)
        } catch let error as ProtocolViolation {
            throw error
        } catch {
            throw ProtocolViolation(message: "malformed JSON")
        }
    }

    /// Whether a JSON text puts a NUL character into a string (only the escape `\u0000` can).
    /// Such strings are refused everywhere: PostgreSQL cannot store them, and no client needs them.
    public static func containsNUL(_ data: Data) -> Bool {
        let pattern = Array("\\u0000".utf8)
        return data.withUnsafeBytes { bytes -> Bool in
            guard bytes.count >= pattern.count else { return false }
            for start in 0...(bytes.count - pattern.count) where bytes[start] == pattern[0] {
                if (1..<pattern.count).allSatisfy({ bytes[start + $0] == pattern[$0] }) { return true }
            }
            return false
        }
    }
}
