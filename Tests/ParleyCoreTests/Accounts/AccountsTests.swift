import ParleyCore
import ParleyProtocol
import Testing

@Suite("Accounts")
struct AccountsTests {
    @Test func refreshRotatesAndAReusedTokenRevokesTheLogin() async throws {
        let bed = try TestBed()
        let grant = try await bed.accounts.register(RegisterRequest(username: "alice", password: "long password", displayName: nil))
        let rotated = try await bed.accounts.refresh(RefreshRequest(refreshToken: grant.refreshToken))
        #expect(rotated.refreshToken != grant.refreshToken)
        #expect(try await bed.accounts.authenticate(accessToken: rotated.accessToken).userId == grant.userId)

        await #expect(throws: ChatError.self) { try await bed.accounts.refresh(RefreshRequest(refreshToken: grant.refreshToken)) }
        await #expect(throws: ChatError.self) { try await bed.accounts.refresh(RefreshRequest(refreshToken: rotated.refreshToken)) }
        await #expect(throws: ChatError.self) { try await bed.accounts.authenticate(accessToken: rotated.accessToken) }
        #expect(bed.bus.disconnects.count == 1)
    }

    @Test func accessTokensExpire() async throws {
        let bed = try TestBed()
        let grant = try await bed.accounts.register(RegisterRequest(username: "bob", password: "long password", displayName: "Bob"))
        #expect(try await bed.accounts.authenticate(accessToken: grant.accessToken).userId == grant.userId)
        bed.clock.advance(ms: Int64(grant.expiresIn) * 1000 + 1000)
        await #expect(throws: ChatError.self) { try await bed.accounts.authenticate(accessToken: grant.accessToken) }
    }

    @Test func usernamesAreUniqueRegardlessOfCase() async throws {
        let bed = try TestBed()
        _ = try await bed.accounts.register(RegisterRequest(username: "Carol", password: "long password", displayName: nil))
        do {
            _ = try await bed.accounts.register(RegisterRequest(username: "carol", password: "long password", displayName: nil))
            Issue.record("a taken username was accepted")
        } catch let error as ChatError {
            #expect(error.code == .conflict)
        }
        await #expect(throws: ChatError.self) {
            try await bed.accounts.login(LoginRequest(username: "Carol", password: "wrong password"))
        }
        #expect(try await bed.accounts.login(LoginRequest(username: "carol", password: "long password")).userId.isEmpty == false)
    }

    @Test func tamperedTokensAreRejected() {
        let signer = AccessTokenSigner(secret: Array(repeating: 1, count: 32))
        let other = AccessTokenSigner(secret: Array(repeating: 2, count: 32))
        let token = signer.sign(AccessClaims(sub: "1", sid: "s", iat: 0, exp: 4_000_000_000))
        #expect(signer.verify(token, now: 0)?.sub == "1")
        #expect(other.verify(token, now: 0) == nil)
        var parts = token.split(separator: ".").map(String.init)
        parts[1] = AccessTokenSigner.base64URLForTesting(#"{"sub":"2","sid":"s","iat":0,"exp":4000000000}"#)
        #expect(signer.verify(parts.joined(separator: "."), now: 0) == nil)
        #expect(signer.verify("garbage", now: 0) == nil)
    }
}

@Suite("Error mapping")
struct ErrorMappingTests {
    struct DiskOnFire: Error {}

    @Test func unexpectedFailuresAreInternalWithoutDetail() {
        let mapped = ChatError.from(DiskOnFire())
        #expect(mapped.code == .internal)
        #expect(!mapped.message.contains("DiskOnFire"))
        #expect(ChatError.from(ChatError.forbidden("no")).code == .forbidden)
        #expect(ChatError.from(ProtocolViolation(message: "missing field 'x'")) == .badRequest("missing field 'x'"))
    }
}
