import Foundation
import Hummingbird
import HTTPTypes
import NIOCore
import ParleyCore
import ParleyMedia
import ParleyProtocol

/// Resumable uploads: the tus 1.0 core protocol with its creation, creation-with-upload,
/// expiration and termination extensions, at `/v1/media/uploads` (docs/protocol.md, "Media").
/// Existing tus clients (tus-js-client, TUSKit, tuspy) work unmodified.
struct ResumableUploadRoutes {
    let media: NodeMedia
    let gateway: Gateway
    let addresses: ClientAddress

    static let version = "1.0.0"
    static let extensions = "creation,creation-with-upload,expiration,termination"

    /// `OPTIONS` needs no credentials (a browser's preflight sends none).
    func addDiscovery(to router: Router<ParleyRequestContext>) {
        let largest = media.library.limits.largestUpload
        router.on("v1/media/uploads", method: .options) { _, _ in
            Response(status: .noContent, headers: [
                TusField.resumable: Self.version, TusField.version: Self.version, TusField.extensions: Self.extensions,
                TusField.maxSize: String(largest),
            ])
        }
    }

    func add(to router: RouterGroup<ParleyRequestContext>) {
        router.post("media/uploads") { request, context in try await tus(request, context) { try await create(request, context: context) } }
        router.head("media/uploads/:uploadId") { request, context in try await tus(request, context) { try await status(request, context: context) } }
        router.patch("media/uploads/:uploadId") { request, context in try await tus(request, context) { try await append(request, context: context) } }
        router.delete("media/uploads/:uploadId") { request, context in try await tus(request, context) { try await terminate(context: context) } }
        // Not tus: what the upload became, once finished.
        router.get("media/uploads/:uploadId") { request, context in
            try await tus(request, context) {
                let caller = try context.requireCaller()
                let (upload, offset) = try await owned(context, caller: caller)
                var mediaId = upload.mediaId
                if mediaId == nil, offset == upload.length {
                    // Every byte is in but storing them failed or had to wait: try again now.
                    guard await media.uploads.begin(upload.id) else { throw Busy() }
                    do {
                        mediaId = try await finish(upload, caller: caller, from: addresses.of(request, context: context))
                        await media.uploads.end(upload.id)
                    } catch {
                        await media.uploads.end(upload.id)
                        throw error
                    }
                }
                guard let mediaId else { throw ChatError(.conflict, "the upload is not finished") }
                guard let record = try await media.library.store.media(id: mediaId) else {
                    throw ChatError.notFound("the media this upload became is gone")
                }
                return JSONBody.response(MediaLibrary.info(record))
            }
        }
    }

    /// Checks `Tus-Resumable` and puts it on the answer, errors included.
    private func tus(_ request: Request, _ context: ParleyRequestContext, _ body: () async throws -> Response) async throws -> Response {
        guard request.headers[TusField.resumable] == Self.version else {
            var response = Self.error(.preconditionFailed, .badRequest, "send 'Tus-Resumable: \(Self.version)'")
            response.headers[TusField.version] = Self.version
            return response
        }
        var response: Response
        do {
            response = try await body()
        } catch is Busy {
            response = Self.busy()
        } catch {
            response = ErrorResponses.response(for: error, to: request, context: context)
        }
        response.headers[TusField.resumable] = Self.version
        return response
    }

    private func create(_ request: Request, context: ParleyRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        try gateway.admit(caller, to: gateway.userLimits)
        if request.headers[TusField.deferLength] != nil {
            throw ChatError.badRequest("Upload-Defer-Length is not supported: send Upload-Length")
        }
        guard let text = request.headers[TusField.length], let length = Int64(text), length >= 0, text.utf8.allSatisfy({ (0x30...0x39).contains($0) })
        else { throw ChatError.badRequest("'Upload-Length' must be the upload's size in bytes") }
        if length == 0 { throw ChatError.badRequest("the upload is empty") }
        let library = media.library
        try await library.admit(length: length, by: caller)
        let metadata = try TusMetadata.parse(request.headers[TusField.metadata])
        // The name is checked now, not after the last of 100 MiB arrived.
        _ = try MediaLibrary.fileName(metadata["filename"] ?? metadata["name"])
        let now = library.clock.now()
        let expires = now + library.limits.uploadExpirySeconds * 1000
        let upload = try await media.uploads.create(
            ownerId: caller.userId, length: length, name: metadata["filename"] ?? metadata["name"],
            type: metadata["filetype"] ?? metadata["type"], now: now, expiresAt: expires,
            maxUnfinished: library.limits.maxUnfinishedUploads, available: try await library.available(to: caller.userId))
        var headers: HTTPFields = [.location: "/v1/media/uploads/\(upload.id)", TusField.expires: Self.httpDate(expires)]
        var offset: Int64 = 0
        // creation-with-upload: the first bytes in the creating request itself.
        if request.headers[.contentType] == "application/offset+octet-stream" {
            do {
                let appended = try await write(request, context: context, to: upload, at: 0, caller: caller)
                offset = appended.offset
                if let mediaId = appended.mediaId { headers[TusField.mediaId] = mediaId }
            } catch {
                // The client never learnt the upload's address: it would only hold a slot and quota.
                await media.uploads.remove(upload.id)
                throw error
            }
        }
        headers[TusField.offset] = String(offset)
        return Response(status: .created, headers: headers)
    }

    private func status(_ request: Request, context: ParleyRequestContext) async throws -> Response {
        let (upload, offset) = try await owned(context, caller: try context.requireCaller())
        var headers: HTTPFields = [
            TusField.offset: String(offset), TusField.length: String(upload.length), .cacheControl: "no-store",
            TusField.expires: Self.httpDate(upload.expiresAt),
        ]
        if let mediaId = upload.mediaId { headers[TusField.mediaId] = mediaId }
        return Response(status: .ok, headers: headers)
    }

    private func append(_ request: Request, context: ParleyRequestContext) async throws -> Response {
        let caller = try context.requireCaller()
        guard request.headers[.contentType] == "application/offset+octet-stream" else {
            throw ChatError(.unsupportedMediaType, "a PATCH carries 'Content-Type: application/offset+octet-stream'")
        }
        let (upload, current) = try await owned(context, caller: caller)
        guard let text = request.headers[TusField.offset], let offset = Int64(text) else {
            throw ChatError.badRequest("'Upload-Offset' must be the offset the bytes start at")
        }
        guard offset == current else { throw ChatError(.conflict, "the upload is at offset \(current), not \(offset)") }
        let appended = try await write(request, context: context, to: upload, at: offset, caller: caller)
        var headers: HTTPFields = [TusField.offset: String(appended.offset), TusField.expires: Self.httpDate(upload.expiresAt)]
        if let mediaId = appended.mediaId { headers[TusField.mediaId] = mediaId }
        return Response(status: .noContent, headers: headers)
    }

    private func terminate(context: ParleyRequestContext) async throws -> Response {
        let (upload, _) = try await owned(context, caller: try context.requireCaller())
        guard await media.uploads.begin(upload.id) else { return Self.busy() }
        await media.uploads.remove(upload.id)
        await media.uploads.end(upload.id)
        return Response(status: .noContent)
    }

    /// Appends the request's bytes; when they complete the upload, stores the media. Bytes
    /// received before the connection dropped stay, and `HEAD` reports them.
    private func write(
        _ request: Request, context: ParleyRequestContext, to upload: ResumableUploads.Upload, at offset: Int64, caller: Caller
    ) async throws -> (offset: Int64, mediaId: String?) {
        let uploads = media.uploads
        guard upload.mediaId == nil else { throw ChatError(.conflict, "the upload is finished") }
        guard await uploads.begin(upload.id) else { throw Busy() }
        let address = addresses.of(request, context: context)
        do {
            // The offset again, now that this request holds the upload: another PATCH may have
            // ended between the check and the lock.
            guard let (_, current) = await uploads.upload(upload.id, ownerId: caller.userId, now: media.library.clock.now()), current == offset
            else { throw ChatError(.conflict, "the upload moved on; HEAD it for its offset") }
            let outcome = try await media.slots.run(for: caller.userId, from: address) { () async throws -> (Int64, String?) in
                let received = try await SlowUploadGuard.run(request.body, cutOff: { [channel = context.channel] in channel.close(promise: nil) }) { body in
                    try await uploads.append(body, to: upload, at: offset)
                }
                var mediaId: String?
                if received == upload.length { mediaId = try await finish(upload, caller: caller, from: address) }
                return (received, mediaId)
            }
            await uploads.end(upload.id)
            return outcome
        } catch {
            await uploads.end(upload.id)
            throw error
        }
    }

    /// The last byte is in: the upload becomes media, as `POST /v1/media` would make it.
    private func finish(_ upload: ResumableUploads.Upload, caller: Caller, from address: String?) async throws -> String {
        let uploads = media.uploads
        do {
            let spooled = try await MediaIntake.inspect(uploads.partPath(upload.id))
            let info = try await media.library.accept(spooled, declaredType: upload.type, name: upload.name, by: caller, from: address)
            try await uploads.finish(upload.id, mediaId: info.mediaId)
            return info.mediaId
        } catch let error as ChatError where Self.refusesTheBytes(error.code) {
            // Bytes the library refuses (their type, a limit, the quota) will not do better next time.
            await uploads.remove(upload.id)
            throw error
        } catch let error as ChatError {
            // A wait (rate limit, busy tools) or the server's own failure: the bytes stay. An empty
            // PATCH at the end, or a GET of the upload, finishes it later.
            throw error
        } catch {
            // Storage failing (a disk, the bucket): every byte is kept; worth another try.
            throw ChatError(.unavailable, "the upload is complete but could not be stored yet; retry the last request", retryAfterMs: 5_000)
        }
    }

    private func owned(_ context: ParleyRequestContext, caller: Caller) async throws -> (ResumableUploads.Upload, Int64) {
        let id = try context.parameters.require("uploadId")
        guard let found = await media.uploads.upload(id, ownerId: caller.userId, now: media.library.clock.now()) else {
            throw ChatError.notFound("upload not found (or expired)")
        }
        return (found.0, found.offset)
    }

    /// Refusals of the bytes themselves, as opposed to waits and failures worth a retry.
    static func refusesTheBytes(_ code: ErrorCode) -> Bool {
        [.unsupportedMediaType, .tooLarge, .badRequest].contains(code)
    }

    struct Busy: Error {}

    static func busy() -> Response {
        error(.init(code: 423, reasonPhrase: "Locked"), .conflict, "another request is writing to this upload; retry when it is done")
    }

    static func error(_ status: HTTPResponse.Status, _ code: ErrorCode, _ message: String) -> Response {
        JSONBody.response(ErrorResponses.ErrorBody(error: ErrorPayload(code: code, message: message)), status: status)
    }

    /// An IMF-fixdate (`Upload-Expires`).
    static func httpDate(_ milliseconds: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}
