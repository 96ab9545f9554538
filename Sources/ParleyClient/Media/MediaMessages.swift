import Foundation
import ParleyProtocol

extension MediaInfo {
    /// The message content type this media is sent as: `image`, `video` or `audio` by its
    /// kind, `file` for anything else (the server requires the kind to match the content type,
    /// and takes any kind as `file`).
    public var messageContentType: String {
        switch kind {
        case "image", "video", "audio": kind
        default: "file"
        }
    }

    /// The content of a message carrying this media: just its id. The server fills in the
    /// rest from what it stored (`url`, `size`, `mimeType`, dimensions, duration, thumbnail,
    /// and a file's `name`), so the message cannot disagree with the bytes.
    public var messageContent: JSONValue {
        .object(["mediaId": .string(mediaId)])
    }
}

/// An upload and the message that carried it.
public struct SentMedia: Sendable, Equatable {
    public var media: MediaInfo
    public var ack: SendAck

    public init(media: MediaInfo, ack: SendAck) {
        self.media = media
        self.ack = ack
    }
}

/// Sending uploads as messages. Sending is what lets the recipients download the media: until
/// then only the uploader can.
extension ParleyClient {
    /// Sends uploaded media to a user, as an `image`, `video`, `audio` or `file` message by its kind.
    public func send(media: MediaInfo, to receiverId: String, localId: String = UUID().uuidString) async throws -> SendAck {
        try await send(SendMessage(
            conversationType: .private, receiverId: receiverId, contentType: media.messageContentType, content: media.messageContent,
            localId: localId))
    }

    /// Sends uploaded media to a conversation (private or group) by its id.
    public func send(media: MediaInfo, in conversationId: String, localId: String = UUID().uuidString) async throws -> SendAck {
        try await send(SendMessage(
            conversationId: conversationId, contentType: media.messageContentType, content: media.messageContent, localId: localId))
    }

    /// Uploads a file and sends it to a user: resumably when it is larger than
    /// `resumableAbove` bytes (`resumableUploadThreshold`, 8 MiB, by default), in one request
    /// otherwise.
    public func send(
        file: URL, name: String? = nil, mimeType: String? = nil, to receiverId: String, resumableAbove threshold: Int64 = ParleyClient.resumableUploadThreshold,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> SentMedia {
        let media = try await upload(file, name: name, mimeType: mimeType, resumableAbove: threshold, progress: progress)
        return SentMedia(media: media, ack: try await send(media: media, to: receiverId))
    }

    /// Uploads a file and sends it to a conversation by its id (see `send(file:to:)`).
    public func send(
        file: URL, name: String? = nil, mimeType: String? = nil, in conversationId: String, resumableAbove threshold: Int64 = ParleyClient.resumableUploadThreshold,
        progress: (@Sendable (Int64, Int64) -> Void)? = nil
    ) async throws -> SentMedia {
        let media = try await upload(file, name: name, mimeType: mimeType, resumableAbove: threshold, progress: progress)
        return SentMedia(media: media, ack: try await send(media: media, in: conversationId))
    }
}
