import Synchronization

/// Failed logins per account and per address in a sliding window: past the limit, further
/// attempts are refused with `rate_limited` (and a retry-after) before any password is checked,
/// so guessing is slow whichever of the two an attacker varies.
public final class LoginThrottle: Sendable {
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
    /// Keys kept at most; the table is emptied past this (an attacker cannot grow it without bound).
    private let capacity = 100_000

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Nil when an attempt may proceed; otherwise the ms to wait.
    func wait(account: String, address: String?, now: Int64) -> Int64? {
        failures.withLock { table in
            var longest: Int64?
            for (key, limit) in keys(account: account, address: address) {
                let recent = (table[key] ?? []).filter { now - $0 < limits.windowMs }
                table[key] = recent.isEmpty ? nil : recent
                if recent.count >= limit, let oldest = recent.first {
                    longest = max(longest ?? 0, oldest + limits.windowMs - now)
                }
            }
            return longest
        }
    }

    func failed(account: String, address: String?, now: Int64) {
        failures.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            for (key, _) in keys(account: account, address: address) { table[key, default: []].append(now) }
        }
    }

    func succeeded(account: String) {
        _ = failures.withLock { $0.removeValue(forKey: "account:" + account.lowercased()) }
    }

    private func keys(account: String, address: String?) -> [(String, Int)] {
        var keys = [("account:" + account.lowercased(), limits.perAccount)]
        if let address { keys.append(("address:" + address, limits.perAddress)) }
        return keys
    }
}
