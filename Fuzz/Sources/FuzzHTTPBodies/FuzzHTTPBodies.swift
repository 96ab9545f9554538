import Foundation
import FuzzSupport
import ParleyProtocol

// Fuzzes the HTTP request bodies: every route reads its body with `FrameCoder.decode(T.self,
// from: Data(body))` (ParleyServer/HTTP/ErrorResponses.swift, `JSONBody.decode`). An input is
// one body, decoded as every body type in turn, as any route could receive any bytes.
//
// Invariants (each a `precondition`):
// 1. `FrameCoder.decode` fails only with a `ProtocolViolation` (its typed `throws`), whose
//    message is not empty (it becomes the 400 answer's message).
// 2. A body containing the six bytes `\u0000` is refused as every type.
// 3. A body that decodes as a type re-encodes with `FrameCoder.encode` and decodes again to an
//    equal value. Exceptions, by design: re-encoded bytes that contain `\u0000` (a string that
//    held a backslash followed by `u0000`: its escaped backslash looks like the NUL escape), and
//    bodies nested more than 500 levels deep (Foundation reads 512 levels, writes 511).
// 4. A body that decodes as a `JSONValue` (what message `content` is) is written back by
//    `JSONOutput.value` as JSON that decodes to the same value.

@_cdecl("FuzzHTTPBodies_main")
public func fuzzHTTPBodiesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    runLibFuzzer(argc: argc, argv: argv) { data, size in
        guard let data else { return 0 }
        return fuzz(data, size)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let body = Body(bytes)

    // The bodies of ParleyProtocol, each read by the route named.
    body.check(RegisterRequest.self)  // POST /v1/auth/register
    body.check(LoginRequest.self)  // POST /v1/auth/login
    body.check(RefreshRequest.self)  // POST /v1/auth/refresh
    body.check(PasswordChange.self)  // POST /v1/auth/password
    body.check(ProfileUpdate.self)  // PATCH /v1/users/me
    body.check(ConversationSettings.self)  // PATCH /v1/conversations/{id}
    body.check(SendMessage.self)  // POST /v1/messages
    body.check(FriendRequestBody.self)  // POST /v1/friends/requests
    body.check(BlockBody.self)  // POST /v1/blocks
    body.check(CreateGroup.self)  // POST /v1/groups
    body.check(GroupUpdate.self)  // PATCH /v1/groups/{id}
    body.check(InviteMembers.self)  // POST /v1/groups/{id}/members
    body.check(JoinRequestBody.self)  // POST /v1/groups/{id}/join-requests
    body.check(RoleAssignment.self)  // PUT /v1/groups/{id}/roles/{userId}
    body.check(MemberMute.self)  // PUT /v1/groups/{id}/mutes/{userId}
    body.check(OwnershipTransfer.self)  // POST /v1/groups/{id}/transfer
    // Bodies the routes declare locally in ParleyServer (not importable): same shapes, same
    // decoding machinery. Keep them in step with the routes.
    body.check(ReceiptBody.self)  // POST /v1/conversations/{id}/receipts
    body.check(EditBody.self)  // POST …/messages/{messageId}/edit
    body.check(DeleteBody.self)  // POST …/messages/delete
    body.check(ReactionBody.self)  // POST …/messages/{messageId}/reactions
    body.check(BroadcastBody.self)  // POST /v1/admin/broadcast
    // Message content on its own (any JSON).
    if let value = body.check(JSONValue.self), body.reencodable {
        // 4.
        var out = JSONOutput()
        out.value(value)
        guard let read = try? JSONDecoder().decode(JSONValue.self, from: Data(out.bytes)) else {
            preconditionFailure("JSONOutput.value wrote JSON that does not decode: \(describe(out.bytes))")
        }
        precondition(read == value, "JSONOutput.value changed \(value) into \(read)")
    }
    return 0
}

private struct Body {
    let bytes: [UInt8]
    let data: Data
    let hasNUL: Bool
    /// Whether round trips are checked (see 3. above).
    let reencodable: Bool

    init(_ bytes: [UInt8]) {
        let data = Data(bytes)
        self.bytes = bytes
        self.data = data
        self.hasNUL = FrameCoder.containsNUL(data)
        self.reencodable = jsonNestingDepth(bytes) <= reencodableDepth
    }

    /// Decodes the body as `T` as the routes do and checks invariants 1–3; the value, if any.
    @discardableResult
    func check<T: Codable & Equatable>(_ type: T.Type) -> T? {
        let value: T
        switch decode(T.self, from: data) {
        case .failure(let violation):
            precondition(!violation.message.isEmpty, "empty ProtocolViolation decoding \(T.self) from \(describe(bytes))")
            return nil
        case .success(let decoded):
            value = decoded
        }
        precondition(!hasNUL, "\(T.self) decoded from a body with \\u0000: \(describe(bytes))")
        guard reencodable else { return value }
        let encoded = FrameCoder.encode(value)
        if FrameCoder.containsNUL(Data(encoded)) { return value }
        switch decode(T.self, from: Data(encoded)) {
        case .failure(let violation):
            preconditionFailure("re-encoded \(T.self) does not decode (\(violation)):\n  body    \(describe(bytes))\n  encoded \(describe(encoded))")
        case .success(let again):
            precondition(
                again == value,
                "\(T.self) changed in a round trip:\n  body    \(describe(bytes))\n  value   \(value)\n  encoded \(describe(encoded))\n  again   \(again)")
        }
        return value
    }
}

/// `FrameCoder.decode`, its failure as a value.
private func decode<T: Decodable>(_ type: T.Type, from data: Data) -> Result<T, ProtocolViolation> {
    do {
        return .success(try FrameCoder.decode(T.self, from: data))
    } catch let violation as ProtocolViolation {
        return .failure(violation)
    } catch {
        preconditionFailure("FrameCoder.decode threw \(error), not a ProtocolViolation")
    }
}

// Mirrors of the bodies ParleyServer declares inside its routes.

/// `struct Body: Decodable { var seq: Int64; var status: ReceiptStatus }` (Routes.swift).
private struct ReceiptBody: Codable, Equatable {
    var seq: Int64
    var status: ReceiptStatus
}

/// `struct Body: Decodable { var content: JSONValue }` (MessageRoutes.swift, edit).
private struct EditBody: Codable, Equatable {
    var content: JSONValue
}

/// `struct Body: Decodable { var messageIds: [String] }` (MessageRoutes.swift, delete).
private struct DeleteBody: Codable, Equatable {
    var messageIds: [String]
}

/// `struct Body: Decodable { var emoji: String }` (MessageRoutes.swift, reactions).
private struct ReactionBody: Codable, Equatable {
    var emoji: String
}

/// `AdminRoutes.Broadcast` (AdminRoutes.swift).
private struct BroadcastBody: Codable, Equatable {
    var title: String
    var content: String
    var userIds: [String]?
    var priority: String?
}

/// The bytes for a failure message: as text when short, else their length.
private func describe(_ bytes: [UInt8]) -> String {
    bytes.count <= 600 ? String(decoding: bytes, as: UTF8.self).debugDescription : "<\(bytes.count) bytes>"
}
