import Foundation
import ParleyProtocol

/// A frame from the server, decoded by its `type`.
enum ServerFrame: Sendable {
    case connected(ConnectedPayload)
    case message(MessagePayload)
    case notification(NotificationPayload)
    /// A reply to a request: `ack`, `sync`, `history`, `pong`, `error`, carried as raw JSON
    /// data to be decoded by whoever waits for it.
    case reply(type: String, requestId: String, data: Data)
    case other(type: String)

    private struct Head: Decodable {
        var type: String
        var requestId: String?
    }

    private struct Body<T: Decodable>: Decodable {
        var data: T
    }

    static func decode(_ bytes: Data) throws -> ServerFrame {
        let decoder = JSONDecoder()
        let head = try decoder.decode(Head.self, from: bytes)
        if let requestId = head.requestId {
            // Keep `data` as bytes: the waiting request knows its type.
            let object = try JSONSerialization.jsonObject(with: bytes) as? [String: Any]
            let data = try JSONSerialization.data(withJSONObject: object?["data"] ?? [String: Any](), options: [.fragmentsAllowed])
            return .reply(type: head.type, requestId: requestId, data: data)
        }
        switch head.type {
        case "connected": return .connected(try decoder.decode(Body<ConnectedPayload>.self, from: bytes).data)
        case "message": return .message(try decoder.decode(Body<MessagePayload>.self, from: bytes).data)
        case "notification": return .notification(try decoder.decode(Body<NotificationPayload>.self, from: bytes).data)
        default: return .other(type: head.type)
        }
    }
}
