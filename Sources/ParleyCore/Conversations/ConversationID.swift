import ParleyProtocol

/// How conversation ids are formed: `p_<userA>_<userB>` (the two user ids sorted, so both
/// users derive the same id) and `g_<groupId>`.
public enum ConversationID {
    /// The private conversation of two users.
    public static func privateChat(_ a: String, _ b: String) -> String {
        a < b ? "p_\(a)_\(b)" : "p_\(b)_\(a)"
    }

    /// The two users of a private conversation id, or nil if it is not one.
    public static func privateUsers(_ id: String) -> (String, String)? {
        guard id.hasPrefix("p_") else { return nil }
        let parts = id.dropFirst(2).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[0] <= parts[1] else { return nil }
        return (String(parts[0]), String(parts[1]))
    }

    /// The type a conversation id denotes.
    public static func type(of id: String) -> ConversationType {
        id.hasPrefix("g_") ? .group : .private
    }
}
