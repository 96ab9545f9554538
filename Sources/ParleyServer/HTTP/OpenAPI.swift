import ParleyProtocol

/// The OpenAPI 3.0 description of the HTTP API, served at `/openapi.json`. The WebSocket
/// protocol is in docs/protocol.md. Schemas describe what the server accepts; every error is
/// `{"error": {"code", "message"}}`.
enum OpenAPI {
    private static func object(_ properties: [String: JSONValue], required: [String] = []) -> JSONValue {
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }

    private static let string: JSONValue = ["type": "string"]
    private static let integer: JSONValue = ["type": "integer", "format": "int64"]
    private static let boolean: JSONValue = ["type": "boolean"]
    private static let anyObject: JSONValue = ["type": "object"]
    private static func array(_ items: JSONValue) -> JSONValue { ["type": "array", "items": items] }

    private struct Operation {
        var method: String
        var path: String
        var summary: String
        var body: JSONValue?
        var query: [(String, JSONValue)] = []
        var secured = true
        /// The body is raw bytes (an upload), not JSON.
        var binary = false
    }

    private static let operations: [Operation] = [
        Operation(method: "post", path: "/v1/auth/register", summary: "Create an account",
                  body: object(["username": string, "password": string, "displayName": string], required: ["username", "password"]), secured: false),
        Operation(method: "post", path: "/v1/auth/login", summary: "Log in",
                  body: object(["username": string, "password": string], required: ["username", "password"]), secured: false),
        Operation(method: "post", path: "/v1/auth/refresh", summary: "Rotate tokens",
                  body: object(["refreshToken": string], required: ["refreshToken"]), secured: false),
        Operation(method: "post", path: "/v1/auth/logout", summary: "End this login", body: nil),
        Operation(method: "post", path: "/v1/auth/password", summary: "Change the password (ends every login)",
                  body: object(["currentPassword": string, "newPassword": string], required: ["currentPassword", "newPassword"])),
        Operation(method: "get", path: "/v1/users/me", summary: "Own profile and settings"),
        Operation(method: "patch", path: "/v1/users/me", summary: "Change profile and settings",
                  body: object([
                      "displayName": string, "avatar": string, "friendsOnly": boolean,
                      "groupAdds": ["type": "string", "enum": ["everyone", "friends", "nobody"]],
                      "presenceVisibility": ["type": "string", "enum": ["contacts", "friends", "nobody"]],
                  ])),
        Operation(method: "delete", path: "/v1/users/me", summary: "Delete the account (messages stay, anonymised)",
                  body: object(["password": string], required: ["password"])),
        Operation(method: "get", path: "/v1/group-invitations", summary: "Pending invitations into groups"),
        Operation(method: "post", path: "/v1/push/tokens", summary: "Register a device's push token",
                  body: object([
                      "provider": ["type": "string", "enum": ["apns", "fcm", "hms", "mipush", "webhook", "email"]],
                      "token": string, "deviceId": string, "sandbox": boolean,
                  ], required: ["provider", "token", "deviceId"])),
        Operation(method: "get", path: "/v1/push/tokens", summary: "This user's push tokens (masked)"),
        Operation(method: "delete", path: "/v1/push/tokens/{tokenId}", summary: "Remove a push token"),
        Operation(method: "get", path: "/v1/push/settings", summary: "Push settings"),
        Operation(method: "patch", path: "/v1/push/settings", summary: "Change push settings",
                  body: object([
                      "enabled": boolean, "preview": boolean,
                      "quietHours": object(["start": string, "end": string, "timeZone": string], required: ["start", "end", "timeZone"]),
                  ])),
        Operation(method: "get", path: "/v1/push/log", summary: "This user's pushes, newest first", query: [("limit", integer)]),
        Operation(method: "post", path: "/v1/group-invitations/{invitationId}/accept", summary: "Accept an invitation (join the group)"),
        Operation(method: "post", path: "/v1/group-invitations/{invitationId}/reject", summary: "Reject an invitation"),
        Operation(method: "get", path: "/v1/users/{userId}", summary: "A user's profile"),
        Operation(method: "get", path: "/v1/conversations", summary: "Conversation list", query: [("limit", integer)]),
        Operation(method: "patch", path: "/v1/conversations/{conversationId}", summary: "Pin, mute or hide",
                  body: object(["pinned": boolean, "muted": boolean, "hidden": boolean])),
        Operation(method: "get", path: "/v1/conversations/{conversationId}/messages", summary: "History",
                  query: [("afterSeq", integer), ("beforeSeq", integer), ("limit", integer)]),
        Operation(method: "post", path: "/v1/conversations/{conversationId}/receipts", summary: "Delivered/read receipt",
                  body: object(["seq": integer, "status": ["type": "string", "enum": ["delivered", "read"]]], required: ["seq", "status"])),
        Operation(method: "post", path: "/v1/conversations/{conversationId}/messages/{messageId}/recall", summary: "Recall"),
        Operation(method: "post", path: "/v1/conversations/{conversationId}/messages/{messageId}/edit", summary: "Edit",
                  body: object(["content": anyObject], required: ["content"])),
        Operation(method: "get", path: "/v1/conversations/{conversationId}/messages/{messageId}/edits", summary: "Edit history"),
        Operation(method: "get", path: "/v1/conversations/{conversationId}/messages/{messageId}/receipts", summary: "Who read a message"),
        Operation(method: "post", path: "/v1/conversations/{conversationId}/messages/delete", summary: "Delete for me",
                  body: object(["messageIds": array(string)], required: ["messageIds"])),
        Operation(method: "post", path: "/v1/conversations/{conversationId}/messages/{messageId}/reactions", summary: "React",
                  body: object(["emoji": string], required: ["emoji"])),
        Operation(method: "delete", path: "/v1/conversations/{conversationId}/messages/{messageId}/reactions/{emoji}", summary: "Remove a reaction"),
        Operation(method: "post", path: "/v1/messages", summary: "Send a message (bots, back offices)",
                  body: object([
                      "conversationType": ["type": "string", "enum": ["private", "group"]], "receiverId": string, "groupId": string,
                      "conversationId": string, "contentType": string, "content": anyObject, "localId": string,
                      "atUsers": array(string), "replyTo": string,
                  ], required: ["contentType", "content", "localId"])),
        Operation(method: "get", path: "/v1/sync", summary: "Changes since cursors",
                  query: [("since", integer), ("notificationsAfter", integer), ("limit", integer)]),
        Operation(method: "post", path: "/v1/friends/requests", summary: "Ask for friendship",
                  body: object(["userId": string, "message": string], required: ["userId"])),
        Operation(method: "get", path: "/v1/friends/requests", summary: "Pending friend requests"),
        Operation(method: "post", path: "/v1/friends/requests/{requestId}/accept", summary: "Accept"),
        Operation(method: "post", path: "/v1/friends/requests/{requestId}/reject", summary: "Reject"),
        Operation(method: "get", path: "/v1/friends", summary: "Friends"),
        Operation(method: "delete", path: "/v1/friends/{userId}", summary: "Unfriend"),
        Operation(method: "post", path: "/v1/blocks", summary: "Block", body: object(["userId": string], required: ["userId"])),
        Operation(method: "get", path: "/v1/blocks", summary: "Blocked users"),
        Operation(method: "delete", path: "/v1/blocks/{userId}", summary: "Unblock"),
        Operation(method: "get", path: "/v1/presence", summary: "Presence", query: [("userIds", string)]),
        Operation(method: "post", path: "/v1/groups", summary: "Create a group",
                  body: object(["name": string, "memberIds": array(string), "announcement": string,
                                "joinPolicy": ["type": "string", "enum": ["open", "approval", "invite_only"]]], required: ["name"])),
        Operation(method: "get", path: "/v1/groups/{groupId}", summary: "A group"),
        Operation(method: "patch", path: "/v1/groups/{groupId}", summary: "Change a group",
                  body: object(["name": string, "announcement": string, "muteAll": boolean, "joinPolicy": string])),
        Operation(method: "delete", path: "/v1/groups/{groupId}", summary: "Dismiss"),
        Operation(method: "post", path: "/v1/groups/{groupId}/members", summary: "Invite",
                  body: object(["userIds": array(string)], required: ["userIds"])),
        Operation(method: "delete", path: "/v1/groups/{groupId}/members/{userId}", summary: "Leave or kick"),
        Operation(method: "post", path: "/v1/groups/{groupId}/join-requests", summary: "Ask to join", body: object(["message": string])),
        Operation(method: "get", path: "/v1/groups/{groupId}/join-requests", summary: "Pending join requests"),
        Operation(method: "post", path: "/v1/groups/{groupId}/join-requests/{requestId}/accept", summary: "Accept"),
        Operation(method: "post", path: "/v1/groups/{groupId}/join-requests/{requestId}/reject", summary: "Reject"),
        Operation(method: "put", path: "/v1/groups/{groupId}/roles/{userId}", summary: "Set a role",
                  body: object(["role": ["type": "string", "enum": ["admin", "member"]]], required: ["role"])),
        Operation(method: "put", path: "/v1/groups/{groupId}/mutes/{userId}", summary: "Mute a member",
                  body: object(["until": integer], required: ["until"])),
        Operation(method: "delete", path: "/v1/groups/{groupId}/mutes/{userId}", summary: "Unmute"),
        Operation(method: "post", path: "/v1/groups/{groupId}/transfer", summary: "Transfer ownership",
                  body: object(["userId": string], required: ["userId"])),
        Operation(method: "get", path: "/v1/search/messages", summary: "Search messages",
                  query: [("q", string), ("conversationId", string), ("senderId", string), ("from", integer), ("to", integer),
                          ("contentType", string), ("limit", integer), ("cursor", string)]),
        Operation(method: "get", path: "/v1/search/users", summary: "Search users", query: [("q", string)]),
        Operation(method: "get", path: "/v1/search/groups", summary: "Search groups", query: [("q", string)]),
        Operation(method: "post", path: "/v1/media", summary: "Upload a file (the body is its bytes)", query: [("name", string)], binary: true),
        Operation(method: "get", path: "/v1/media/usage", summary: "This user's media against their quota"),
        Operation(method: "get", path: "/v1/media/{mediaId}", summary: "Download media (Range, If-None-Match; also ?access_token=)"),
        Operation(method: "get", path: "/v1/media/{mediaId}/thumbnail", summary: "An image's or video's thumbnail"),
        Operation(method: "get", path: "/v1/media/{mediaId}/display", summary: "A large image's 1920 px version"),
        Operation(method: "get", path: "/v1/media/uploads/{uploadId}", summary: "What a finished resumable (tus) upload became"),
        Operation(method: "get", path: "/healthz", summary: "The node serves", secured: false),
        Operation(method: "get", path: "/readyz", summary: "The node's store answers", secured: false),
    ]

    /// The document, built once.
    static let document: [UInt8] = FrameCoder.encode(build())

    private static func build() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for operation in operations {
            var parameters: [JSONValue] = operation.path.split(separator: "/").compactMap { segment in
                guard segment.hasPrefix("{") else { return nil }
                return ["name": .string(String(segment.dropFirst().dropLast())), "in": "path", "required": true, "schema": string]
            }
            parameters += operation.query.map { ["name": .string($0.0), "in": "query", "required": false, "schema": $0.1] }
            var entry: [String: JSONValue] = [
                "summary": .string(operation.summary),
                "responses": [
                    "200": ["description": "OK", "content": ["application/json": ["schema": anyObject]]],
                    "default": ["description": "An error", "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]],
                ],
            ]
            if !parameters.isEmpty { entry["parameters"] = .array(parameters) }
            if operation.binary {
                entry["requestBody"] = ["required": true, "content": ["application/octet-stream": ["schema": ["type": "string", "format": "binary"]]]]
            }
            if let body = operation.body {
                entry["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]]
            }
            entry["security"] = operation.secured ? [["bearer": []]] : []
            var methods = paths[operation.path]?.objectValue ?? [:]
            methods[operation.method] = .object(entry)
            paths[operation.path] = .object(methods)
        }
        return [
            "openapi": "3.0.3",
            "info": ["title": "Parley", "version": "1.0", "description": "Parley's HTTP API. The WebSocket protocol (/v1/ws) is in docs/protocol.md."],
            "paths": .object(paths),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer", "bearerFormat": "JWT"]],
                "schemas": [
                    "Error": object(["error": object(["code": string, "message": string, "retryAfterMs": integer], required: ["code", "message"])],
                                    required: ["error"]),
                ],
            ],
        ]
    }
}

extension JSONValue {
    var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }
}
