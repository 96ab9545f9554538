import Foundation
import ParleyProtocol
import ParleyStore

/// What `GET /v1/search/messages` asks.
public struct MessageSearchQuery: Sendable {
    public var text: String
    public var conversationId: String?
    public var senderId: String?
    public var from: Int64?
    public var to: Int64?
    public var contentType: String?
    public var limit: Int?
    public var cursor: String?

    public init(
        text: String, conversationId: String? = nil, senderId: String? = nil, from: Int64? = nil, to: Int64? = nil,
        contentType: String? = nil, limit: Int? = nil, cursor: String? = nil
    ) {
        self.text = text
        self.conversationId = conversationId
        self.senderId = senderId
        self.from = from
        self.to = to
        self.contentType = contentType
        self.limit = limit
        self.cursor = cursor
    }
}

extension Chat {
    /// Messages of the caller's conversations that contain the text (any script: a substring
    /// match, so Chinese and Japanese work without word breaks), newest first, with snippets.
    /// Never another user's conversation, never a recalled message or one the caller deleted.
    public func searchMessages(_ query: MessageSearchQuery, for caller: Caller) async throws -> MessageSearchResults {
        let text = try searchText(query.text)
        let limit = try pageSize(query.limit, default: 20, max: 100)
        if let type = query.contentType, !MessageContent.clientTypes.contains(type) {
            throw ChatError.badRequest("'contentType' must be one of \(MessageContent.clientTypes.joined(separator: ", "))")
        }
        if let from = query.from, let to = query.to, from >= to { throw ChatError.badRequest("'from' must be before 'to'") }
        var after: (createdAt: Int64, messageId: String)?
        if let cursor = query.cursor {
            let parts = cursor.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let time = Int64(parts[0]), !parts[1].isEmpty else {
                throw ChatError.badRequest("'cursor' is not one this server gave")
            }
            after = (time, String(parts[1]))
        }
        let hits = try await store.searchMessages(MessageSearch(
            userId: caller.userId, text: text, conversationId: query.conversationId, senderId: query.senderId,
            from: query.from, to: query.to, contentType: query.contentType, limit: limit, after: after))
        let payloads = try await self.payloads(hits.map(\.message))
        let results = zip(hits, payloads).map { hit, payload in
            MessageSearchResults.Hit(message: payload, snippet: Self.snippet(of: hit.text, around: text))
        }
        let next = hits.count == limit ? hits.last.map { "\($0.message.createdAt):\($0.message.messageId)" } : nil
        return MessageSearchResults(results: results, nextCursor: next)
    }

    public func searchUsers(_ text: String) async throws -> UserSearchResults {
        let users = try await store.searchUsers(try searchText(text), limit: 20)
        return UserSearchResults(users: users.filter { $0.deletedAt == nil }.map {
            UserProfile(userId: $0.id, username: $0.username, displayName: $0.displayName, avatar: $0.avatar, createdAt: $0.createdAt)
        })
    }

    public func searchGroups(_ text: String) async throws -> GroupSearchResults {
        let groups = try await store.searchGroups(try searchText(text), limit: 20)
        return GroupSearchResults(groups: groups.map {
            GroupSearchResults.Group(groupId: $0.group.id, name: $0.group.name, memberCount: $0.members, joinPolicy: $0.group.joinPolicy.rawValue)
        })
    }

    private func searchText(_ text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...100).contains(trimmed.unicodeScalars.count) else { throw ChatError.badRequest("'q' must be 1 to 100 characters") }
        if trimmed.unicodeScalars.contains(where: { $0.value == 0 }) { throw ChatError.badRequest("'q' must not contain NUL") }
        return trimmed
    }

    /// Up to 30 scalars either side of the first match, HTML-escaped, the match in `<mark>`.
    /// (Scalars, not Characters: one Character can hold kilobytes of combining marks.)
    static func snippet(of text: String, around query: String) -> String {
        let scalars = text.unicodeScalars
        guard let match = text.range(of: query, options: [.caseInsensitive, .diacriticInsensitive]) else {
            return escaped(String(String.UnicodeScalarView(scalars.prefix(80))))
        }
        let start = scalars.index(match.lowerBound, offsetBy: -30, limitedBy: scalars.startIndex) ?? scalars.startIndex
        let end = scalars.index(match.upperBound, offsetBy: 30, limitedBy: scalars.endIndex) ?? scalars.endIndex
        func part(_ range: Range<String.Index>) -> String { escaped(String(String.UnicodeScalarView(scalars[range]))) }
        return (start > scalars.startIndex ? "…" : "") + part(start..<match.lowerBound) + "<mark>"
            + part(match) + "</mark>" + part(match.upperBound..<end) + (end < scalars.endIndex ? "…" : "")
    }

    private static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
