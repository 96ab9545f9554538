import Synchronization

/// Failed logins per account and per address in a sliding window: past the limit, further
/// attempts are refused with `rate_limited` (and a retry-after) before any password is checked,
/// so guessing is slow whichever of the two an attacker varies. In a cluster every node hears
/// of every node's failures (`share`/`apply`), so spreading guesses over nodes gains nothing.
public final class LoginThrottle: Sendable {
    /// A failure or success on one node, for the others.
    public enum Event: Sendable, Codable, Equatable {
        case failed(account: String, address: String?, at: Int64)
        case succeeded(account: String)
    }

    public struct Limits: Sendable, Equatable {
        public var perAccount: Int
        public var perAddress: Int
        public var windowMs: Int64

        public init(perAccount: Int = 5, perAddress: Int = 20, windowMs: Int64 = 300_000) {
            self.perAccount = perAccount
            self.perAddress = perAddress
            self.windowMs = windowMs
        }
    }

    private let limits: Limits
    private let failures = Mutex<[String: [Int64]]>([:])
    private let peers = Mutex<(@Sendable (Event) -> Void)?>(nil)
    /// Keys kept at most; the table is emptied past this (an attacker cannot grow it without bound).
    private let capacity = 100_000

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Reserves an attempt, atomically: nil when it may proceed (it then counts as a failure
    /// until `succeeded` gives it back); otherwise the ms to wait. Counting before the password
    /// is checked means 40 guesses sent at once get 5 checks, not 40.
    /// In a cluster the other nodes count the attempt at once too (as a failure; a success
    /// clears the account there as here), so spreading concurrent guesses over nodes gains nothing.
    func reserve(account: String, address: String?, now: Int64) -> Int64? {
        let wait = failures.withLock { table -> Int64? in
            var longest: Int64?
            let keys = keys(account: account, address: address)
            for (key, limit) in keys {
                let recent = (table[key] ?? []).filter { now - $0 < limits.windowMs }
                table[key] = recent.isEmpty ? nil : recent
                if recent.count >= limit, let oldest = recent.first {
                    longest = max(longest ?? 0, oldest + limits.windowMs - now)
                }
            }
            if longest != nil { return longest }
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            for (key, _) in keys { table[key, default: []].append(now) }
            return nil
        }
        if wait == nil { peers.withLock { $0 }?(.failed(account: account, address: address, at: now)) }
        return wait
    }


    /// A reserved attempt succeeded: the account's failures are forgotten, and the address gets
    /// its attempt back.
    func succeeded(account: String, address: String?, reservedAt: Int64) {
        failures.withLock { table in
            table.removeValue(forKey: "account:" + account.lowercased())
            if let address { Self.remove(reservedAt, from: "address:" + address, in: &table) }
        }
        peers.withLock { $0 }?(.succeeded(account: account))
    }

    /// A reserved attempt was not made after all (the server was busy): it counts for nobody.
    func release(account: String, address: String?, reservedAt: Int64) {
        failures.withLock { table in
            for (key, _) in keys(account: account, address: address) { Self.remove(reservedAt, from: key, in: &table) }
        }
    }

    private static func remove(_ time: Int64, from key: String, in table: inout [String: [Int64]]) {
        guard var times = table[key], let index = times.firstIndex(of: time) else { return }
        times.remove(at: index)
        table[key] = times.isEmpty ? nil : times
    }

    /// Tells the other nodes of this node's failures and successes from now on.
    public func share(with peers: @escaping @Sendable (Event) -> Void) {
        self.peers.withLock { $0 = peers }
    }

    /// Another node's failure or success.
    public func apply(_ event: Event) {
        switch event {
        case .failed(let account, let address, let at): record(account: account, address: address, now: at)
        case .succeeded(let account): forget(account: account)
        }
    }

    private func record(account: String, address: String?, now: Int64) {
        failures.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            for (key, _) in keys(account: account, address: address) { table[key, default: []].append(now) }
        }
    }

    private func forget(account: String) {
        _ = failures.withLock { $0.removeValue(forKey: "account:" + account.lowercased()) }
    }

    private func keys(account: String, address: String?) -> [(String, Int)] {
        var keys = [("account:" + account.lowercased(), limits.perAccount)]
        if let address { keys.append(("address:" + address, limits.perAddress)) }
        return keys
    }
}
