import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import ParleyCore
import ParleyMedia
import ParleyProtocol

/// Uploads in one request, and downloads with ranges and validators (docs/protocol.md, "Media").
struct MediaRoutes {
    let media: NodeMedia
    let gateway: Gateway
    let addresses: ClientAddress

    func add(to router: RouterGroup<ParleyRequestContext>) {
        router.post("media") { request, context in
            let caller = try context.requireCaller()
            try gateway.admit(caller, to: gateway.userLimits)
            let address = addresses.of(request, context: context)
            let info = try await media.slots.run(for: caller.userId, from: address) {
                try await receive(
                    request, context: context, declaredType: request.headers[.contentType],
                    name: Self.formValue("name", in: request.uri.query), by: caller, from: address)
            }
            return MediaHeaders.apply(to: JSONBody.response(info, status: .created))
        }
        router.get("media/usage") { _, context in
            JSONBody.response(try await media.library.usage(of: try context.requireCaller().userId))
        }
        for variant in [MediaLibrary.Variant.original, .thumbnail, .display] {
            let path = variant == .original ? "media/:mediaId" : "media/:mediaId/\(variant.rawValue)"
            router.get(RouterPath(path)) { request, context in try await download(request, context: context, variant: variant, body: true) }
            router.head(RouterPath(path)) { request, context in try await download(request, context: context, variant: variant, body: false) }
        }
    }

    /// Receives a body and hands it to the library; the received file goes either way.
    func receive(
        _ request: Request, context: ParleyRequestContext, declaredType: String?, name: String?, by caller: Caller, from address: String?
    ) async throws -> MediaInfo {
        let library = media.library
        // Checked before a byte is read: the name, and the size when the client says it.
        let name = try MediaLibrary.fileName(name)
        let reserved = await media.uploads.reserved(by: caller.userId)
        try await library.admit(length: request.headers[.contentLength].flatMap { Int64($0) } ?? 0, reserved: reserved, by: caller)
        let declared = declaredType.map { String($0.split(separator: ";").first ?? "").trimmingCharacters(in: .whitespaces) }
        let limits = library.limits
        let upload = try await SlowUploadGuard.run(request.body, cutOff: { [channel = context.channel] in channel.close(promise: nil) }) { body in
            try await media.intake.receive(body) { head in
                let type = try MediaType.classify(head, declared: declared)
                return limits.maxBytes[type.kind] ?? limits.largestUpload
            }
        }
        defer { try? FileManager.default.removeItem(atPath: upload.path) }
        return try await library.accept(upload, declaredType: declared, name: name, by: caller, from: address)
    }

    func download(_ request: Request, context: ParleyRequestContext, variant: MediaLibrary.Variant, body: Bool) async throws -> Response {
        let caller = try context.requireCaller()
        let mediaId = try context.parameters.require("mediaId")
        let (record, blob) = try await media.library.open(mediaId, variant: variant, for: caller)
        let etag = "\"\(blob.sha256)\""
        var headers: HTTPFields = [.eTag: etag, .cacheControl: "private, max-age=3600", .acceptRanges: "bytes"]
        // What a browser may render is what was sniffed as media; anything else (HTML, SVG,
        // scripts, text, PDF) only ever downloads.
        if variant == .original, record.kind == MediaKind.file.rawValue {
            headers[.contentType] = "application/octet-stream"
            headers[.contentDisposition] = Self.attachment(record.name ?? "file")
        } else {
            headers[.contentType] = blob.mimeType
        }
        if EntityTag.matches(request.headers[.ifNoneMatch], etag: etag) {
            return MediaHeaders.apply(to: Response(status: .notModified, headers: headers))
        }
        var range = ByteRange.parse(request.headers[.range], size: blob.size)
        // A range of another version of the resource is no range of this one.
        if let condition = request.headers[.ifRange], !EntityTag.matches(condition, etag: etag) || condition.hasPrefix("W/") { range = .whole }
        let status: HTTPResponse.Status
        let served: Range<Int64>?
        switch range {
        case .whole:
            (status, served) = (.ok, nil)
        case .part(let part):
            (status, served) = (.partialContent, part)
            headers[.contentRange] = "bytes \(part.lowerBound)-\(part.upperBound - 1)/\(blob.size)"
        case .unsatisfiable, .multiple:
            headers[.contentRange] = "bytes */\(blob.size)"
            let reason = range == .multiple ? "more than one range is not served; ask for one" : "the range starts past the end (\(blob.size) bytes)"
            var response = JSONBody.response(
                ErrorResponses.ErrorBody(error: ErrorPayload(code: .badRequest, message: reason)), status: .rangeNotSatisfiable)
            response.headers[.contentRange] = headers[.contentRange]
            return MediaHeaders.apply(to: response)
        }
        let length = served.map { $0.upperBound - $0.lowerBound } ?? blob.size
        headers[.contentLength] = String(length)
        guard body else { return MediaHeaders.apply(to: Response(status: status, headers: headers)) }
        let bytes = try await media.library.read(blob, range: served)
        return MediaHeaders.apply(to: Response(status: status, headers: headers, body: ResponseBody(asyncSequence: bytes)))
    }

    /// A query parameter decoded as forms encode it (`+` is a space, `%2B` a plus), so a name
    /// sent by a browser's `URLSearchParams` arrives as it was.
    static func formValue(_ name: String, in query: String?) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    /// `attachment` with the name twice: plain ASCII for old clients, UTF-8 (RFC 6266) for the rest.
    static func attachment(_ name: String) -> String {
        let ascii = String(name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && $0 != "\"" && $0 != "\\" ? Character($0) : "_" })
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? "file"
        return "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)"
    }
}
