import ParleyProtocol
import ParleyStore

/// The members' read cursors of a conversation, sorted, to count quickly how many members
/// have read up to a seq (group read counts).
struct ReadCursors {
    private let sorted: [Int64]
    private let byUser: [String: Int64]

    init(_ members: [MembershipRecord]) {
        sorted = members.map(\.readSeq).sorted()
        byUser = Dictionary(members.map { ($0.userId, $0.readSeq) }, uniquingKeysWith: max)
    }

    /// Members whose read cursor is at or past `seq`, not counting `excluded` (the sender).
    func count(readingUpTo seq: Int64, except excluded: String) -> Int {
        // First index with a cursor >= seq.
        var low = 0
        var high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < seq { low = mid + 1 } else { high = mid }
        }
        let count = sorted.count - low
        if let own = byUser[excluded], own >= seq { return count - 1 }
        return count
    }
}

extension Chat {
    /// Who among the other members has received and read a message (members only).
    public func receipts(of messageId: String, in conversationId: String, for caller: Caller) async throws -> MessageReceipts {
        try requireIdentifier(conversationId, named: "conversationId")
        try requireIdentifier(messageId, named: "messageId")
        _ = try await requireMembership(caller, in: conversationId)
        let message = try await conversationMessage(messageId, in: conversationId)
        let others = try await store.members(conversationId: conversationId).filter { $0.userId != message.senderId }
        let readers = others.filter { $0.readSeq >= message.seq }
        return MessageReceipts(
            messageId: messageId, seq: message.seq, memberCount: others.count,
            deliveredCount: others.filter { $0.deliveredSeq >= message.seq }.count, readCount: readers.count,
            readBy: readers.map(\.userId))
    }
}
