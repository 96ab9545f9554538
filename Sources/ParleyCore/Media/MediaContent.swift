import ParleyProtocol
import ParleyStore

extension Chat {
    /// Content naming an upload (`"mediaId"`) with what the server stored filled in: `url`
    /// (a path), `size`, `mimeType`, `width`/`height`, `duration` (seconds), `thumbnailUrl`, and
    /// a file's `name` when the sender gives none. The sender must have uploaded the media or
    /// be able to read it already (a forward); anyone else is told it does not exist.
    func resolvingMedia(_ type: String, _ content: JSONValue, by caller: Caller) async throws -> JSONValue {
        guard MessageContent.mediaTypes.contains(type), case .object(var fields) = content,
            let id = fields["mediaId"]?.stringValue
        else { return content }
        guard MediaLibrary.isMediaId(id), let media = try await store.media(id: id) else { throw ChatError.notFound("media '\(id.prefix(64))' not found") }
        if media.ownerId != caller.userId {
            let member = try await store.canReadMedia(id: id, userId: caller.userId)
            if !member { throw ChatError.notFound("media '\(id.prefix(64))' not found") }
        }
        if type != "file", media.kind != type {
            throw ChatError.badRequest("media '\(id)' is \(media.kind), not \(type): send it as \(media.kind) or file content")
        }
        let info = MediaLibrary.info(media)
        fields["url"] = .string(info.url)
        fields["size"] = .number(Double(info.size))
        fields["mimeType"] = .string(info.mimeType)
        if type == "image" || type == "video" {
            fields["width"] = info.width.map { .number(Double($0)) }
            fields["height"] = info.height.map { .number(Double($0)) }
            fields["thumbnailUrl"] = info.thumbnail.map { .string($0.url) }
        }
        if type == "video" || type == "audio", let duration = info.durationMs {
            fields["duration"] = .number(max(0.001, Double(duration) / 1000))
        }
        if type == "file", fields["name"] == nil || fields["name"] == .null {
            fields["name"] = .string(media.name ?? "file")
        }
        return .object(fields.filter { $0.value != .null })
    }
}
