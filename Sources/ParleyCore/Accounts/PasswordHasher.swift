/// Hashes and checks passwords (bcrypt in the server). Slow on purpose: implementations
/// run off the event loops.
public protocol PasswordHasher: Sendable {
    /// Throws `unavailable` when too much hashing waits already (registrations are shed first).
    func hash(_ password: String) async throws -> String
    /// Throws (`unavailable`) only when the work cannot be taken now; a wrong password is `false`.
    func verify(_ password: String, against hash: String) async throws -> Bool
}
