import Foundation
import ParleyProtocol

/// Account calls without a client session: for tools that need many users' tokens.
public enum ParleyAccounts {
    public static func register(server: URL, username: String, password: String, displayName: String? = nil) async throws -> TokenGrant {
        try await HTTPTransport(baseURL: server).call(
            "POST", "v1/auth/register", body: RegisterRequest(username: username, password: password, displayName: displayName),
            as: TokenGrant.self)
    }

    public static func login(server: URL, username: String, password: String) async throws -> TokenGrant {
        try await HTTPTransport(baseURL: server).call(
            "POST", "v1/auth/login", body: LoginRequest(username: username, password: password), as: TokenGrant.self)
    }
}
