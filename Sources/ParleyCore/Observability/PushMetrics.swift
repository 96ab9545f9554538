import Synchronization

/// Counts by label value (a provider, a reason). Label values come from providers' answers,
/// so their number is bounded: past `capacity` distinct values, new ones count as "other".
public final class LabelledCounter: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    private let capacity: Int

    public init(capacity: Int = 64) {
        self.capacity = capacity
    }

    public func add(_ label: String, _ amount: Int = 1) {
        counts.withLock { counts in
            let key = counts[label] != nil || counts.count < capacity ? label : "other"
            counts[key, default: 0] += amount
        }
    }

    public var snapshot: [String: Int] { counts.withLock { $0 } }
}

/// What the push workers did (exported as `parley_push_*`).
public final class PushMetrics: Sendable {
    /// By provider.
    public let sent = LabelledCounter()
    /// By provider and reason, keyed "provider|reason".
    public let failed = LabelledCounter(capacity: 128)
    /// By reason.
    public let skipped = LabelledCounter()
    /// Provider calls, whatever their answer.
    public let sendDuration = DurationHistogram()

    public init() {}

    /// A provider's reason as a label value: short, of safe characters.
    static func label(_ reason: String) -> String {
        let safe = reason.unicodeScalars.map { $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "_-. ".unicodeScalars.contains($0)) ? Character($0) : "_" }
        return String(String(safe).prefix(48))
    }
}
