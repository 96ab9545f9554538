/// Failures a store reports in domain terms.
public enum StoreError: Error, Sendable, Equatable {
    /// A unique value (a username) is taken.
    case duplicate(String)
    /// The named row does not exist.
    case notFound(String)
    /// A bound checked inside the transaction was reached (a full group); nothing changed.
    case full(String)
    /// A private send was refused because these users (sorted) blocked the other party.
    case blocked(by: [String])
    /// The engine failed; the operation did not commit.
    case engine(String)
}
