import Foundation
import ParleyProtocol

/// Edit, delete for me, reactions, replies and search. Others' edits and reactions arrive as
/// `ClientEvent.notification` (`message_edited`, `message_reaction`); deletes made on another of
/// this user's devices as `message_deleted`.
extension ParleyClient {
    /// Replaces the content of one of this user's messages (within the server's edit window).
    public func edit(conversationId: String, messageId: String, content: JSONValue) async throws -> EditAck {
        try decode(EditAck.self, try await request("edit", EditRequest(conversationId: conversationId, messageId: messageId, content: content)))
    }

    /// Deletes messages from this user's devices only.
    public func delete(conversationId: String, messageIds: [String]) async throws -> DeleteAck {
        try decode(DeleteAck.self, try await request("delete", DeleteRequest(conversationId: conversationId, messageIds: messageIds)))
    }

    /// Adds (or removes) an emoji reaction; returns the message's reactions after it.
    public func react(conversationId: String, messageId: String, emoji: String, remove: Bool = false) async throws -> ReactionAck {
        try decode(ReactionAck.self, try await request(
            "react", ReactionRequest(conversationId: conversationId, messageId: messageId, emoji: emoji, action: remove ? "remove" : "add")))
    }

    /// Sends a text that replies to a message of the same conversation.
    public func reply(text: String, to messageId: String, in conversationId: String, localId: String = UUID().uuidString) async throws -> SendAck {
        try await send(SendMessage(
            conversationId: conversationId, contentType: "text", content: .object(["text": .string(text)]), localId: localId,
            replyTo: messageId))
    }

    /// Messages of this user's conversations containing `text`, newest first.
    public func searchMessages(_ text: String, in conversationId: String? = nil, cursor: String? = nil) async throws -> MessageSearchResults {
        var query = [URLQueryItem(name: "q", value: text)]
        if let conversationId { query.append(URLQueryItem(name: "conversationId", value: conversationId)) }
        if let cursor { query.append(URLQueryItem(name: "cursor", value: cursor)) }
        return try await http.call("GET", "v1/search/messages", query: query, token: try await accessToken(), as: MessageSearchResults.self)
    }
}
