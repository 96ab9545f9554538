/// Puts each conversation's items back in `seq` order.
///
/// Live frames can arrive out of order (two senders' messages are delivered by different
/// tasks), and some never arrive (a dropped connection). The buffer releases an item only when
/// every lower seq has been released, holds the rest, and says which ranges are missing so
/// the client can fetch them from history. Duplicates (a seq already released) are dropped.
public struct ReorderBuffer<Item>: Sendable where Item: Sendable {
    /// Highest seq released per conversation; everything at or below it is done.
    private var released: [String: Int64] = [:]
    private var held: [String: [Int64: Item]] = [:]

    public init() {}

    /// The highest seq released in a conversation, if it is known.
    public func position(of conversationId: String) -> Int64? { released[conversationId] }

    /// Every conversation with a known position.
    public var positions: [String: Int64] { released }

    /// Marks everything up to `seq` as already seen without releasing anything
    /// (a starting point taken from `sync`). Never moves a position back.
    public mutating func skip(_ conversationId: String, through seq: Int64) -> [Item] {
        if let current = released[conversationId], current >= seq { return [] }
        released[conversationId] = seq
        held[conversationId] = held[conversationId]?.filter { $0.key > seq }
        return drain(conversationId)
    }

    /// Accepts an item at `seq`; returns the items now releasable, in order.
    public mutating func accept(_ item: Item, seq: Int64, in conversationId: String) -> [Item] {
        let position = released[conversationId] ?? 0
        guard seq > position else { return [] }
        held[conversationId, default: [:]][seq] = item
        return drain(conversationId)
    }

    /// Ranges that are missing: for each conversation holding items, the seqs after its
    /// position up to its highest held item.
    public var gaps: [(conversationId: String, after: Int64, through: Int64)] {
        held.compactMap { conversationId, items in
            guard let highest = items.keys.max() else { return nil }
            return (conversationId, released[conversationId] ?? 0, highest)
        }
    }

    private mutating func drain(_ conversationId: String) -> [Item] {
        var position = released[conversationId] ?? 0
        var ready: [Item] = []
        while let item = held[conversationId]?.removeValue(forKey: position + 1) {
            ready.append(item)
            position += 1
        }
        if position > 0 { released[conversationId] = position }
        if held[conversationId]?.isEmpty == true { held[conversationId] = nil }
        return ready
    }
}
