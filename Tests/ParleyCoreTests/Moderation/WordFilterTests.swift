import ParleyCore
import Testing

@Suite("Sensitive-word filter")
struct WordFilterTests {
    let filter = WordFilter(parsing: """
        # comments and blank lines are skipped

        mask 笨蛋
        mask bad
        reject 违禁品
        mask abcd
        reject bc
        plain
        """)

    @Test func masksInPlaceWhateverTheWidthCaseOrInvisibleCharacters() {
        #expect(filter.check("你是笨蛋吗") == .masked("你是**吗", hits: 1))
        #expect(filter.check("ＢＡＤ news, bad news") == .masked("*** news, *** news", hits: 2))
        #expect(filter.check("b\u{200B}a\u{FEFF}d") == .masked("*\u{200B}*\u{FEFF}*", hits: 1))
        #expect(filter.check("a plain word") == .masked("a ***** word", hits: 1), "a bare word masks")
        #expect(filter.check("good") == .clean)
        #expect(filter.check("") == .clean)
    }

    @Test func rejectsEvenInsideALongerMaskedWord() {
        #expect(filter.check("卖违禁品") == .rejected(word: "违禁品"))
        #expect(filter.check("违\u{200D}禁品") == .rejected(word: "违禁品"))
        #expect(filter.check("xabcdx") == .rejected(word: "bc"), "a reject rule that is a suffix of a mask rule still rejects")
    }

    @Test func overlappingMatchesAreAllMasked() {
        let overlapping = WordFilter(rules: [.init(word: "abc", policy: .mask), .init(word: "cde", policy: .mask)])
        #expect(overlapping.check("abcde!") == .masked("*****!", hits: 2))
    }

    /// The cost is linear in the text: many rules, a long text, one pass.
    @Test func manyRulesStayUsable() {
        let rules = (0..<5_000).map { WordFilter.Rule(word: "word\($0)x", policy: .mask) }
        let big = WordFilter(rules: rules)
        let text = String(repeating: "word123x and more ", count: 500)
        guard case .masked(let masked, let hits) = big.check(text) else {
            Issue.record("expected masking")
            return
        }
        #expect(hits == 500 && !masked.contains("word123x"))
    }
}
