import ParleyCore

/// An OAuth access token kept until shortly before it expires (FCM, HMS). Callers arriving
/// while it is fetched wait for that fetch rather than starting their own.
actor AccessTokenCache {
    private var current: (token: String, expiresAt: ContinuousClock.Instant)?
    private var fetching: Task<(token: String, expiresIn: Int), any Error>?

    /// The cached token, or a new one from `fetch` (token, lifetime in seconds).
    func token(_ fetch: @escaping @Sendable () async throws -> (token: String, expiresIn: Int)) async throws -> String {
        if let current, ContinuousClock.now < current.expiresAt { return current.token }
        if let fetching { return try await fetching.value.token }
        // Awaited right here (and by whoever comes meanwhile): not a task left running.
        let task = Task { try await fetch() }
        fetching = task
        defer { fetching = nil }
        let fetched = try await task.value
        // A minute early: a token must not expire between the check and the provider's.
        current = (fetched.token, ContinuousClock.now + .seconds(max(fetched.expiresIn - 60, 1)))
        return fetched.token
    }

    /// Forgets `token` (the provider refused it): the next call fetches a new one.
    func invalidate(_ token: String) {
        if current?.token == token { current = nil }
    }
}

extension AccessTokenCache {
    /// Posts `body` to `endpoint` with the access token; when the answer says the token was
    /// refused (`refused`), once more with a new one. `read` turns the answer into a result.
    func post(
        _ body: [UInt8], to endpoint: String, with http: PushHTTP,
        fetch: @escaping @Sendable () async throws -> (token: String, expiresIn: Int),
        refused: (PushHTTP.Answer) -> Bool, read: (PushHTTP.Answer) -> PushResult
    ) async -> PushResult {
        var renewed = false
        while true {
            let access: String
            do {
                access = try await token(fetch)
            } catch {
                return .retry(reason: "oauth: \(String(describing: error).prefix(80))", after: nil)
            }
            do {
                let answer = try await http.post(
                    endpoint, headers: [("authorization", "Bearer \(access)"), ("content-type", "application/json")], body: body)
                if refused(answer), !renewed {
                    invalidate(access)
                    renewed = true
                    continue
                }
                return read(answer)
            } catch {
                return .retry(reason: PushHTTP.reason(error), after: nil)
            }
        }
    }
}
