/// Bounds the domain enforces; all configurable.
public struct ChatLimits: Sendable, Equatable {
    /// Longest text, in Unicode scalars.
    public var maxTextLength: Int = 10_000
    /// How long after sending a sender may recall, in ms.
    public var recallWindowMs: Int64 = 120_000
    /// Default and maximum `history` page.
    public var historyPageDefault: Int = 50
    public var historyPageMax: Int = 200
    /// Default and maximum `sync` page (each list).
    public var syncPageDefault: Int = 100
    public var syncPageMax: Int = 500
    /// Longest client id (`localId`, `deviceId`, …).
    public var maxClientIdLength: Int = 128
    /// Largest `data` of a `custom` message, bytes of JSON.
    public var maxCustomBytes: Int = 16_384
    /// Invitations into groups (users whose `groupAdds` asks for one) per second per inviter,
    /// and the burst: each notifies someone who did not ask for it.
    public var invitationRate: Double = 1
    public var invitationBurst: Double = 200
    /// Most messages one `forward` carries.
    public var maxForwardMessages: Int = 100
    /// Largest stored snapshot of a merged forward, bytes of JSON: beyond, `too_large`.
    public var maxForwardBytes: Int = 65_536
    /// How long after sending a sender may edit, in ms (default 24 h).
    public var editWindowMs: Int64 = 86_400_000
    /// Most kinds of reaction one user puts on one message.
    public var maxReactionsPerUser: Int = 10
    /// Media rules per content type (G3): the largest `size` accepted, in bytes, and the MIME
    /// type family a `mimeType` must belong to (`image/…` for images; any for files).
    public var mediaRules: [String: MediaRule] = [
        "image": MediaRule(maxBytes: 20 << 20, mimePrefix: "image/"),
        "video": MediaRule(maxBytes: 500 << 20, mimePrefix: "video/"),
        "audio": MediaRule(maxBytes: 50 << 20, mimePrefix: "audio/"),
        "file": MediaRule(maxBytes: 2 << 30, mimePrefix: nil),
    ]
    /// Most users in `atUsers`.
    public var maxMentions: Int = 100
    /// Most members of a group, the owner included.
    public var maxGroupSize: Int = 10_000
    /// Longest group name, and longest announcement, in characters.
    public var maxGroupNameLength: Int = 100
    public var maxAnnouncementLength: Int = 4_000
    /// Longest message attached to a friend or join request, in characters.
    public var maxRequestMessageLength: Int = 500
    /// Only friends may message each other privately, for every user (each user may also
    /// choose this for themselves).
    public var friendsOnly: Bool = false

    public init() {}
}

/// What media of one kind may be.
public struct MediaRule: Sendable, Equatable {
    public var maxBytes: Int64
    /// A `mimeType` must start with this (nil: any).
    public var mimePrefix: String?

    public init(maxBytes: Int64, mimePrefix: String?) {
        self.maxBytes = maxBytes
        self.mimePrefix = mimePrefix
    }
}
