/// Hashes and checks passwords (bcrypt in the server). Slow on purpose: implementations
/// run off the event loops.
public protocol PasswordHasher: Sendable {
    func hash(_ password: String) async throws -> String
    func verify(_ password: String, against hash: String) async -> Bool
}
