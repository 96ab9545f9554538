import Foundation

/// A `Range: bytes=…` header against a resource of `size` bytes (RFC 9110 §14): one range is
/// served as 206; a range past the end is 416; several ranges are refused (416) rather than
/// answered as multipart; a header that is not a byte range is ignored (the whole is sent).
enum ByteRange: Equatable {
    case whole
    case part(Range<Int64>)
    case unsatisfiable
    case multiple

    static func parse(_ header: String?, size: Int64) -> ByteRange {
        guard let header = header?.trimmingCharacters(in: .whitespaces), header.lowercased().hasPrefix("bytes=") else { return .whole }
        let spec = header.dropFirst(6)
        if spec.contains(",") { return .multiple }
        let parts = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2 else { return .whole }
        func number(_ text: String) -> Int64? {
            guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            return Int64(text) ?? Int64.max
        }
        if parts[0].isEmpty {
            // A suffix: the last n bytes.
            guard let count = number(parts[1]) else { return .whole }
            if count == 0 || size == 0 { return .unsatisfiable }
            return .part(max(0, size - count)..<size)
        }
        guard let first = number(parts[0]) else { return .whole }
        let last: Int64
        if parts[1].isEmpty {
            last = size - 1
        } else {
            guard let given = number(parts[1]) else { return .whole }
            if given < first { return .whole }
            last = min(given, size - 1)
        }
        if first >= size { return .unsatisfiable }
        return .part(first..<(last + 1))
    }
}
