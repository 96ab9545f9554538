/// What an upload is: `image`, `video`, `audio`, or any other `file`.
public enum MediaKind: String, Sendable, CaseIterable, Codable {
    case image, video, audio, file

    /// The kind a declared MIME type claims (`image/png` → image); nil for anything else.
    public static func declared(by mimeType: String?) -> MediaKind? {
        guard let family = mimeType?.lowercased().split(separator: "/").first else { return nil }
        switch family {
        case "image": return .image
        case "video": return .video
        case "audio": return .audio
        default: return nil
        }
    }
}

/// The type of an upload as its bytes show it. The declared type is never trusted: a file
/// declared `image/png` that holds HTML is not an image, and is never served as one.
public struct MediaType: Sendable, Equatable {
    public var mimeType: String
    public var kind: MediaKind

    public init(mimeType: String, kind: MediaKind) {
        self.mimeType = mimeType
        self.kind = kind
    }

    /// How many leading bytes `sniff` looks at.
    public static let sniffLength = 64

    /// The image, video or audio type the leading bytes show, with containers that hold
    /// either (WebM, MP4) taken as audio when declared so; nil when they show none of the
    /// types Parley takes as media (BMP, TIFF, SVG, HTML, PDF … are files).
    public static func sniff(_ head: [UInt8], declared: String?) -> MediaType? {
        let declaredKind = MediaKind.declared(by: declared)
        func at(_ offset: Int, _ ascii: String) -> Bool {
            let bytes = Array(ascii.utf8)
            return head.count >= offset + bytes.count && Array(head[offset..<offset + bytes.count]) == bytes
        }
        func starts(_ bytes: [UInt8]) -> Bool { head.count >= bytes.count && Array(head.prefix(bytes.count)) == bytes }

        if starts([0xFF, 0xD8, 0xFF]) { return MediaType(mimeType: "image/jpeg", kind: .image) }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return MediaType(mimeType: "image/png", kind: .image) }
        if at(0, "GIF87a") || at(0, "GIF89a") { return MediaType(mimeType: "image/gif", kind: .image) }
        if at(0, "RIFF"), at(8, "WEBP") { return MediaType(mimeType: "image/webp", kind: .image) }
        if at(0, "RIFF"), at(8, "WAVE") { return MediaType(mimeType: "audio/wav", kind: .audio) }
        if at(4, "ftyp"), head.count >= 12 {
            let brand = String(decoding: head[8..<12], as: UTF8.self)
            switch brand {
            case "heic", "heix", "heim", "heis", "mif1", "msf1", "hevc", "hevx":
                return MediaType(mimeType: "image/heic", kind: .image)
            case "avif", "avis":
                return nil
            case "qt  ":
                return MediaType(mimeType: "video/quicktime", kind: .video)
            case "M4A ", "M4B ":
                return MediaType(mimeType: "audio/mp4", kind: .audio)
            case "3gp4", "3gp5", "3gp6", "3g2a":
                return MediaType(mimeType: "video/3gpp", kind: .video)
            default:
                return declaredKind == .audio
                    ? MediaType(mimeType: "audio/mp4", kind: .audio) : MediaType(mimeType: "video/mp4", kind: .video)
            }
        }
        if starts([0x1A, 0x45, 0xDF, 0xA3]) {
            // EBML: WebM says so in its DocType near the start; other Matroska files are files.
            guard let text = Optional(String(decoding: head, as: UTF8.self)), text.contains("webm") else { return nil }
            return declaredKind == .audio
                ? MediaType(mimeType: "audio/webm", kind: .audio) : MediaType(mimeType: "video/webm", kind: .video)
        }
        if at(0, "OggS") { return MediaType(mimeType: "audio/ogg", kind: .audio) }
        if at(0, "fLaC") { return MediaType(mimeType: "audio/flac", kind: .audio) }
        if at(0, "#!AMR") { return MediaType(mimeType: "audio/amr", kind: .audio) }
        if at(0, "ID3") { return MediaType(mimeType: "audio/mpeg", kind: .audio) }
        if head.count >= 3, head[0] == 0xFF {
            // An ADTS (AAC) header: sync, MPEG-4 or -2, layer 0.
            if head[1] == 0xF1 || head[1] == 0xF9 { return MediaType(mimeType: "audio/aac", kind: .audio) }
            // An MPEG audio frame of layer II or III (MP3) with a real bitrate and sample rate:
            // a UTF-16 text's byte-order mark (FF FE) must not pass for one.
            let version = (head[1] >> 3) & 0x03, layer = (head[1] >> 1) & 0x03
            let bitrate = head[2] >> 4, rate = (head[2] >> 2) & 0x03
            if head[1] & 0xE0 == 0xE0, version != 1, layer == 1 || layer == 2, bitrate != 0, bitrate != 15, rate != 3 {
                return MediaType(mimeType: "audio/mpeg", kind: .audio)
            }
        }
        return nil
    }

    /// The type of a file's bytes as Parley stores it: sniffed when they are media, else a
    /// `file` whose type is a few recognised ones (PDF, ZIP) or `application/octet-stream`.
    /// A declared image, video or audio type the bytes do not bear out is refused (415).
    public static func classify(_ head: [UInt8], declared: String?) throws -> MediaType {
        let sniffed = sniff(head, declared: declared)
        if let claimed = MediaKind.declared(by: declared), sniffed?.kind != claimed {
            let what = sniffed.map { "\($0.kind.rawValue) (\($0.mimeType))" } ?? "not a supported \(claimed.rawValue) type"
            throw ChatError(
                .unsupportedMediaType,
                "declared '\(String(declared?.prefix(64) ?? ""))', but the bytes are \(what); supported \(claimed.rawValue) types: \(supported[claimed] ?? "")")
        }
        if let sniffed { return sniffed }
        func starts(_ ascii: String) -> Bool { head.starts(with: Array(ascii.utf8)) }
        if starts("%PDF-") { return MediaType(mimeType: "application/pdf", kind: .file) }
        if head.starts(with: [0x50, 0x4B, 0x03, 0x04]) { return MediaType(mimeType: "application/zip", kind: .file) }
        return MediaType(mimeType: "application/octet-stream", kind: .file)
    }

    static let supported: [MediaKind: String] = [
        .image: "jpeg, png, gif, webp, heic",
        .video: "mp4, mov, webm, 3gp",
        .audio: "mp3, m4a, aac, ogg, wav, flac, amr, webm",
    ]
}
