import Foundation
@testable import ParleyCore
import ParleyProtocol
import ParleyStore
import Synchronization
import Testing

/// A password hasher whose checks wait until the test lets them go, so tests can hold
/// requests inside the hashing step.
private final class GatedHasher: PasswordHasher, Sendable {
    private let released = Mutex(false)
    private let inside = Atomic<Int>(0)
    let base = DigestHasher()

    func hash(_ password: String) async throws -> String { try await base.hash(password) }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        inside.add(1, ordering: .relaxed)
        while !released.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(5)) }
        return try await base.verify(password, against: hash)
    }

    var waiting: Int { inside.load(ordering: .relaxed) }
    func release() { released.withLock { $0 = true } }
}

@Suite("Hardening: accounts")
struct AccountHardeningTests {
    @Test func concurrentGuessesAreCountedBeforeThePasswordIsChecked() async throws {
        let gated = GatedHasher()
        let bed = try TestBed(hasher: gated)
        _ = try await bed.accounts.register(RegisterRequest(username: "dora", password: "long password", displayName: nil))
        let outcomes = try await withThrowingTaskGroup(of: ErrorCode?.self) { group in
            for i in 0..<40 {
                group.addTask {
                    do {
                        _ = try await bed.accounts.login(LoginRequest(username: "dora", password: "guess \(i)"), from: "10.0.0.1")
                        return nil
                    } catch let error as ChatError {
                        return error.code
                    }
                }
            }
            // Only the reserved attempts reach the hasher; the others were refused before it.
            while gated.waiting < 5 { try await Task.sleep(for: .milliseconds(5)) }
            gated.release()
            var codes: [ErrorCode?] = []
            for try await code in group { codes.append(code) }
            return codes
        }
        #expect(outcomes.filter { $0 == .unauthorized }.count == 5)
        #expect(outcomes.filter { $0 == .rateLimited }.count == 35)
        #expect(gated.waiting == 5)
    }

    @Test func aWrongRefreshSecretIsNoReuse() async throws {
        let bed = try TestBed()
        let grant = try await bed.accounts.register(RegisterRequest(username: "erin", password: "long password", displayName: nil))
        let loginId = String(grant.refreshToken.split(separator: ".")[0])
        #expect(loginId.count == 32 && loginId.allSatisfy(\.isHexDigit))
        await #expect(throws: ChatError.self) {
            try await bed.accounts.refresh(RefreshRequest(refreshToken: loginId + ".guessed-secret"))
        }
        // The guess changed nothing: the login and its real refresh token still work.
        #expect(try await bed.accounts.authenticate(accessToken: grant.accessToken).userId == grant.userId)
        #expect(try await bed.accounts.refresh(RefreshRequest(refreshToken: grant.refreshToken)).userId == grant.userId)
        #expect(bed.bus.disconnects.isEmpty)
    }

    @Test func passwordsAreBoundedAt72Bytes() async throws {
        let bed = try TestBed()
        let long = String(repeating: "é", count: 37)  // 74 bytes, 37 characters
        await #expect(throws: ChatError.self) {
            try await bed.accounts.register(RegisterRequest(username: "fay", password: long, displayName: nil))
        }
        let fits = String(repeating: "a", count: 71) + "b"  // 72 bytes
        _ = try await bed.accounts.register(RegisterRequest(username: "fay", password: fits, displayName: nil))
        // The same first 72 bytes and more: refused, not matched by its prefix.
        await #expect(throws: ChatError.self) {
            try await bed.accounts.login(LoginRequest(username: "fay", password: fits + "-and-more"))
        }
    }

    @Test func aHugeExpiryIsRefusedNotATrap() {
        let signer = AccessTokenSigner(secret: Array(repeating: 7, count: 32))
        let token = signer.sign(AccessClaims(sub: "1", sid: "s", iat: 0, exp: Int64.max))
        #expect(signer.verify(token, now: 1_000)?.sub == "1")
        let expired = signer.sign(AccessClaims(sub: "1", sid: "s", iat: 0, exp: Int64.min))
        #expect(signer.verify(expired, now: 1_000) == nil)
    }
}

@Suite("Hardening: the hashing line")
struct HashingLineTests {
    /// Jobs that record their start and wait for the test to open the gate.
    private final class Jobs: Sendable {
        private let open = Mutex(false)
        private let started = Mutex<[String]>([])

        func run(_ name: String) async throws {
            started.withLock { $0.append(name) }
            while !open.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
        }

        var order: [String] { started.withLock { $0 } }
        func release() { open.withLock { $0 = true } }

        func waitFor(_ count: Int) async throws {
            while order.count < count { try await Task.sleep(for: .milliseconds(2)) }
        }
    }

    @Test func checksGoFirstAndNewHashesAreShedWhenTheLineIsFull() async throws {
        let line = HashingLine(slots: 2, urgentWaiting: 8, deferrableWaiting: 2)
        let jobs = Jobs()
        try await withThrowingTaskGroup(of: Void.self) { group in
            // New hashes take at most one of the two slots: the first runs, two wait, the fourth is refused.
            group.addTask { try await line.run(.deferrable) { try await jobs.run("hash-1") } }
            try await jobs.waitFor(1)
            group.addTask { try await line.run(.deferrable) { try await jobs.run("hash-2") } }
            group.addTask { try await line.run(.deferrable) { try await jobs.run("hash-3") } }
            while line.waiting.deferrable < 2 { try await Task.sleep(for: .milliseconds(2)) }
            await #expect(throws: ChatError(.unavailable, "the server is busy; retry in a second", retryAfterMs: 1_000)) {
                try await line.run(.deferrable) { try await jobs.run("hash-4") }
            }
            // A check still gets the free slot at once.
            group.addTask { try await line.run(.urgent) { try await jobs.run("check-1") } }
            try await jobs.waitFor(2)
            #expect(jobs.order == ["hash-1", "check-1"])
            jobs.release()
            try await group.waitForAll()
        }
        #expect(Set(jobs.order) == ["hash-1", "hash-2", "hash-3", "check-1"])
    }
}

@Suite("Hardening: text users write")
struct UserTextTests {
    @Test func lengthsCountScalarsNotCharacters() throws {
        let zalgo = String(repeating: "e" + String(repeating: "\u{0301}", count: 100), count: 3)
        #expect(zalgo.count == 3)
        #expect(throws: ChatError.self) { try UserText.name(zalgo, named: "displayName", max: 64) }
        #expect(try UserText.name("  张三 Zhang  ", named: "displayName", max: 64) == "张三 Zhang")
    }

    @Test(arguments: ["evil\u{202E}gnp.exe", "bell\u{07}", "red\u{1B}[31m", "two\nlines", "iso\u{2066}late"])
    func namesRefuseControlAndDirectionCharacters(_ name: String) {
        #expect(throws: ChatError.self) { try UserText.name(name, named: "displayName", max: 64) }
    }

    @Test(arguments: ["javascript:alert(1)", "data:text/html,hi", "ftp://example.com/a.png", "//example.com/a.png", "https://"])
    func avatarsAreWebURLs(_ url: String) {
        #expect(throws: ChatError.self) { try UserText.webURL(url, named: "avatar") }
    }

    @Test func rotatedHashesKeepTheNewest() {
        var hashes = RotatedHashes("")
        for i in 0..<40 { hashes = hashes.adding("h\(i)") }
        #expect(hashes.hashes.count == 32 && !hashes.contains("h7") && hashes.contains("h8") && hashes.contains("h39"))
    }
}
