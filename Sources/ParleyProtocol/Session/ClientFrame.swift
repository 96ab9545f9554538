import Foundation

/// A request a client can send over the socket.
public enum ClientCommand: Sendable, Equatable {
    case message(SendMessage)
    case receipt(ReceiptRequest)
    case typing(TypingRequest)
    case sync(SyncRequest)
    case history(HistoryRequest)
    case recall(RecallRequest)
    case presence(PresenceUpdate)
    case edit(EditRequest)
    case delete(DeleteRequest)
    case react(ReactionRequest)
    case ping
}

/// One parsed client frame. Parsing never throws: a frame that cannot be understood keeps
/// whatever `requestId` could be read, so the `error` reply can echo it.
public struct ClientFrame: Sendable, Equatable {
    public var requestId: String?
    public var command: Result<ClientCommand, ProtocolViolation>

    public init(requestId: String?, command: Result<ClientCommand, ProtocolViolation>) {
        self.requestId = requestId
        self.command = command
    }

    /// The longest `requestId` accepted (and so echoed), in UTF-8 bytes.
    public static let maxRequestIdBytes = 128

    /// Parses one text frame's bytes.
    public static func parse(_ bytes: Data) -> ClientFrame {
        if FrameCoder.containsNUL(bytes) {
            return ClientFrame(requestId: nil, command: .failure(ProtocolViolation(message: "strings must not contain NUL (\\u0000) characters")))
        }
        do {
            return try JSONDecoder().decode(Parsed.self, from: bytes).frame
        } catch let error as DecodingError {
            return ClientFrame(requestId: nil, command: .failure(ProtocolViolation(error)))
        } catch {
            return ClientFrame(requestId: nil, command: .failure(ProtocolViolation(message: "malformed JSON")))
        }
    }

    private struct Parsed: Decodable {
        var frame: ClientFrame

        enum Keys: String, CodingKey { case type, requestId, data }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: Keys.self)
            let requestId = try? c.decodeIfPresent(String.self, forKey: .requestId)
            // Echoed in the reply: a long one would make the server send what it was sent.
            if let requestId, requestId.utf8.count > ClientFrame.maxRequestIdBytes
                || requestId.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
            {
                self.frame = ClientFrame(requestId: nil, command: .failure(ProtocolViolation(
                    message: "'requestId' must be at most \(ClientFrame.maxRequestIdBytes) bytes without control characters")))
                return
            }
            func body<T: Decodable>(_ type: T.Type) throws -> T { try c.decode(T.self, forKey: .data) }
            let command: Result<ClientCommand, ProtocolViolation>
            do {
                let type = try c.decode(String.self, forKey: .type)
                switch type {
                case "message": command = .success(.message(try body(SendMessage.self)))
                case "ack": command = .success(.receipt(try body(ReceiptRequest.self)))
                case "typing": command = .success(.typing(try body(TypingRequest.self)))
                case "sync":
                    let request = try c.decodeIfPresent(SyncRequest.self, forKey: .data) ?? SyncRequest()
                    command = .success(.sync(request))
                case "history": command = .success(.history(try body(HistoryRequest.self)))
                case "recall": command = .success(.recall(try body(RecallRequest.self)))
                case "presence": command = .success(.presence(try body(PresenceUpdate.self)))
                case "edit": command = .success(.edit(try body(EditRequest.self)))
                case "delete": command = .success(.delete(try body(DeleteRequest.self)))
                case "react": command = .success(.react(try body(ReactionRequest.self)))
                case "ping": command = .success(.ping)
                default:
                    command = .failure(ProtocolViolation(message: "unknown frame type '\(type.prefix(64))'"))
                }
            } catch let error as DecodingError {
                command = .failure(ProtocolViolation(error))
            }
            self.frame = ClientFrame(requestId: requestId, command: command)
        }
    }
}
