import HummingbirdBcrypt
import NIOPosix
import ParleyCore

/// bcrypt on NIO's blocking thread pool, so hashing never stalls an event loop, behind a
/// `HashingLine` that serves logins first and sheds registrations when too many wait.
struct BcryptHasher: PasswordHasher {
    let cost: UInt8
    let line: HashingLine

    init(cost: UInt8, line: HashingLine = HashingLine(slots: NIOThreadPool.singleton.numberOfThreads)) {
        self.cost = cost
        self.line = line
    }

    func hash(_ password: String) async throws -> String {
        try await line.run(.deferrable) {
            try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
        }
    }

    func verify(_ password: String, against hash: String) async throws -> Bool {
        try await line.run(.urgent) {
            (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
        }
    }
}
