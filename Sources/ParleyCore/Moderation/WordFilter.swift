import Foundation

/// A sensitive-word matcher: Aho–Corasick over normalized text, so matching costs time linear in
/// the message whatever the number of rules. Text is normalized before matching (NFKC folds
/// full-width and other compatibility forms, case is folded, zero-width characters are dropped),
/// so `ＢＡＤ`, `b\u{200B}ad` and `BAD` all match the rule `bad`; masking replaces the matched
/// characters of the original text.
public struct WordFilter: Sendable {
    public enum Policy: String, Sendable {
        /// Replace the matched characters with `*`.
        case mask
        /// Refuse the message.
        case reject
    }

    public struct Rule: Sendable, Equatable {
        public var word: String
        public var policy: Policy

        public init(word: String, policy: Policy) {
            self.word = word
            self.policy = policy
        }
    }

    /// What the filter did to a text.
    public enum Verdict: Sendable, Equatable {
        case clean
        case masked(String, hits: Int)
        case rejected(word: String)
    }

    private struct Node: Sendable {
        var next: [Unicode.Scalar: Int] = [:]
        var fail = 0
        /// The longest mask rule ending here, own or via fail links: its length in normalized
        /// scalars and its index; and any reject rule ending here.
        var mask: (length: Int, rule: Int)?
        var reject: Int?
    }

    private var nodes: [Node] = [Node()]
    public let rules: [Rule]

    public init(rules: [Rule]) {
        self.rules = rules
        for (index, rule) in rules.enumerated() {
            let scalars = Self.normalized(rule.word).map(\.scalar)
            guard !scalars.isEmpty else { continue }
            var state = 0
            for scalar in scalars {
                if let next = nodes[state].next[scalar] {
                    state = next
                } else {
                    nodes.append(Node())
                    nodes[state].next[scalar] = nodes.count - 1
                    state = nodes.count - 1
                }
            }
            switch rule.policy {
            case .reject: nodes[state].reject = index
            case .mask: nodes[state].mask = (scalars.count, index)
            }
        }
        // Breadth-first: fail links, and outputs inherited along them.
        var queue = Array(nodes[0].next.values)
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            for (scalar, child) in nodes[state].next {
                var fail = nodes[state].fail
                while fail != 0, nodes[fail].next[scalar] == nil { fail = nodes[fail].fail }
                let target = nodes[fail].next[scalar] ?? 0
                nodes[child].fail = target == child ? 0 : target
                let inherited = nodes[nodes[child].fail]
                if nodes[child].mask == nil { nodes[child].mask = inherited.mask }
                if nodes[child].reject == nil { nodes[child].reject = inherited.reject }
                queue.append(child)
            }
        }
    }

    /// Parses a rules file: one rule per line, `mask <word>` or `reject <word>` (a bare word
    /// masks); blank lines and lines starting with `#` are skipped.
    public init(parsing text: String) {
        var rules: [Rule] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.count == 2, let policy = Policy(rawValue: parts[0].lowercased()) {
                rules.append(Rule(word: parts[1].trimmingCharacters(in: .whitespaces), policy: policy))
            } else {
                rules.append(Rule(word: trimmed, policy: .mask))
            }
        }
        self.init(rules: rules)
    }

    /// Checks a text.
    public func check(_ text: String) -> Verdict {
        if rules.isEmpty { return .clean }
        let characters = Array(text)
        let scalars = Self.normalized(characters)
        var state = 0
        var masked = Set<Int>()
        var hits = 0
        for (position, item) in scalars.enumerated() {
            while state != 0, nodes[state].next[item.scalar] == nil { state = nodes[state].fail }
            state = nodes[state].next[item.scalar] ?? 0
            if let reject = nodes[state].reject { return .rejected(word: rules[reject].word) }
            guard let output = nodes[state].mask else { continue }
            hits += 1
            for index in (position - output.length + 1)...position { masked.insert(scalars[index].character) }
        }
        if masked.isEmpty { return .clean }
        let result = String(characters.enumerated().map { masked.contains($0.offset) ? "*" : $0.element })
        return .masked(result, hits: hits)
    }

    /// Normalized scalars of a text, each with the index of the character it came from.
    private static func normalized(_ characters: [Character]) -> [(scalar: Unicode.Scalar, character: Int)] {
        var result: [(scalar: Unicode.Scalar, character: Int)] = []
        result.reserveCapacity(characters.count)
        for (index, character) in characters.enumerated() {
            let folded = String(character).precomposedStringWithCompatibilityMapping.lowercased()
            for scalar in folded.unicodeScalars where !ignorable(scalar) {
                result.append((scalar, index))
            }
        }
        return result
    }

    private static func normalized(_ text: String) -> [(scalar: Unicode.Scalar, character: Int)] {
        normalized(Array(text))
    }

    /// Zero-width and other invisible format characters an evader would insert.
    private static func ignorable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x200B...0x200F, 0x2060...0x2064, 0xFEFF, 0x00AD, 0x180E: true
        default: scalar.properties.generalCategory == .format
        }
    }
}
