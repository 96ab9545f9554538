import Crypto
import Foundation
import Logging
import NIOCore
import ParleyBus
@testable import ParleyCore
import ParleyProtocol
import ParleySQLite
import ParleyStore
import ParleyTasks
import Synchronization

/// A domain on a real SQLite store in a temporary directory, a bus that records what it
/// routes, and a clock the test moves by hand.
final class TestBed: Sendable {
    let directory: String
    let store: SQLiteStore
    let bus = RecordingBus()
    let clock = ManualClock()
    let chat: Chat
    let accounts: Accounts
    /// Who is connected (for push: a user with a device here gets none).
    let presence = LocalPresenceDirectory()
    /// Set with `pushing: true`: messages to offline users post push tasks to the store's queue.
    let pushes: PushFeed?

    init(hasher: any PasswordHasher = DigestHasher(), pushing: Bool = false) throws {
        directory = NSTemporaryDirectory() + "parley-core-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        store = try SQLiteStore(path: directory + "/test.sqlite", durability: .normal)
        let wall = clock.wall
        let ids = Snowflake(node: 1, clock: wall)
        let queue = StoreTaskQueue(store: store, logger: Logger(label: "test"), now: wall.now)
        pushes = pushing ? PushFeed(queue: queue, directory: presence, storedWithMessages: { queue.stored($0) }) : nil
        chat = Chat(store: store, bus: bus, clock: wall, ids: ids, pushes: pushes, logger: Logger(label: "test"))
        accounts = Accounts(
            store: store, bus: bus, hasher: hasher,
            signer: AccessTokenSigner(secret: Array(repeating: 7, count: 32)), clock: wall, ids: ids)
    }

    deinit {
        store.close()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Registers a user and returns them as a caller on a socket session.
    func user(_ name: String, session: String? = nil) async throws -> Caller {
        let grant = try await accounts.register(RegisterRequest(username: name, password: "password-\(name)", displayName: name.capitalized))
        return Caller(userId: grant.userId, sessionId: session ?? "s-\(name)")
    }

    func text(_ text: String, to receiver: String, localId: String = UUID().uuidString) -> SendMessage {
        SendMessage(conversationType: .private, receiverId: receiver, contentType: "text", content: .object(["text": .string(text)]), localId: localId)
    }
}

/// Records every routed event; frames are decoded back to JSON for assertions.
final class RecordingBus: Bus {
    private let events = Mutex<[BusEvent]>([])

    func publish(_ event: BusEvent) async { events.withLock { $0.append(event) } }
    func attach(_ sink: any BusSink) {}

    var deliveries: [Delivery] {
        events.withLock { $0.compactMap { if case .deliver(let d) = $0 { d } else { nil } } }
    }

    var disconnects: [Disconnect] {
        events.withLock { $0.compactMap { if case .disconnect(let d) = $0 { d } else { nil } } }
    }

    /// Deliveries of a given frame type (and notification type), decoded.
    func frames(_ type: String, notification: String? = nil) -> [(delivery: Delivery, frame: [String: Any])] {
        deliveries.compactMap { delivery in
            let bytes = delivery.frame.getBytes(at: delivery.frame.readerIndex, length: delivery.frame.readableBytes) ?? []
            guard let frame = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
                frame["type"] as? String == type
            else { return nil }
            if let notification {
                let data = frame["data"] as? [String: Any]
                guard data?["notificationType"] as? String == notification else { return nil }
            }
            return (delivery, frame)
        }
    }
}

/// A clock that moves only when told.
final class ManualClock: Sendable {
    private let millis = Atomic<Int64>(1_800_000_000_000)
    var wall: WallClock { WallClock { [self] in self.millis.load(ordering: .relaxed) } }
    func advance(ms: Int64) { millis.add(ms, ordering: .relaxed) }
}

/// A fast stand-in for bcrypt: the tests are about accounts, not about hashing cost.
struct DigestHasher: PasswordHasher {
    func hash(_ password: String) async throws -> String {
        SHA256.hash(data: Data(password.utf8)).map { String(format: "%02x", $0) }.joined()
    }
    func verify(_ password: String, against hash: String) async throws -> Bool {
        (try? await self.hash(password)) == hash
    }
}
