/// `GET /v1/search/messages`: messages of the caller's conversations, newest first.
public struct MessageSearchResults: Codable, Sendable, Equatable {
    public struct Hit: Codable, Sendable, Equatable {
        public var message: MessagePayload
        /// The matched text around the match, HTML-escaped, the match in `<mark>…</mark>`.
        public var snippet: String

        public init(message: MessagePayload, snippet: String) {
            self.message = message
            self.snippet = snippet
        }
    }

    public var results: [Hit]
    /// Pass as `cursor` for the next page; nil on the last page.
    public var nextCursor: String?

    public init(results: [Hit], nextCursor: String?) {
        self.results = results
        self.nextCursor = nextCursor
    }

    private enum CodingKeys: String, CodingKey { case results, nextCursor }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(results, forKey: .results)
        try c.encode(nextCursor, forKey: .nextCursor)
    }
}

/// `GET /v1/search/users`.
public struct UserSearchResults: Codable, Sendable, Equatable {
    public var users: [UserProfile]
    public init(users: [UserProfile]) { self.users = users }
}

/// `GET /v1/search/groups`.
public struct GroupSearchResults: Codable, Sendable, Equatable {
    public struct Group: Codable, Sendable, Equatable {
        public var groupId: String
        public var name: String
        public var memberCount: Int
        public var joinPolicy: String

        public init(groupId: String, name: String, memberCount: Int, joinPolicy: String) {
            self.groupId = groupId
            self.name = name
            self.memberCount = memberCount
            self.joinPolicy = joinPolicy
        }
    }

    public var groups: [Group]
    public init(groups: [Group]) { self.groups = groups }
}
