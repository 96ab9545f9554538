// swift-tools-version:6.1
import PackageDescription

// libFuzzer targets for Parley's parsers: a package of its own, so the main package's targets,
// `swift build` and `swift test` stay untouched. Build and run them with `scripts/fuzz`
// (see Fuzz/README.md); a plain `swift build` here fails to link, because libFuzzer only comes
// with `-sanitize=fuzzer`.
//
// One executable target per fuzzed surface (rather than one target dispatching on the first
// byte): each gets its own seed corpus of plain wire bytes (a corpus file is exactly a frame, a
// body or a NATS byte stream, no selector byte in front), its own `-max_len` and dictionary,
// its own coverage map (no surface starves the others of mutations), and a crash names the
// surface it came from.
let fuzzTargetSettings: [SwiftSetting] = [
    // Only the fuzz function and `<Module>_main` (see FuzzSupport) are in these modules: never a
    // compiler-synthesised `main`, even for a single-file module.
    .unsafeFlags(["-parse-as-library"])
]

let package = Package(
    name: "parley-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "parley", path: ".."),
        // Same requirement as the main package, so both resolve to one version.
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
    ],
    targets: [
        // The declaration of libFuzzer's `LLVMFuzzerRunDriver` (the library comes with -sanitize=fuzzer).
        .systemLibrary(name: "CLibFuzzer", path: "Sources/CLibFuzzer"),
        // The entry point every target shares, and a seeded generator for split points.
        .target(name: "FuzzSupport", dependencies: ["CLibFuzzer"]),
        // WebSocket client frames: `ClientFrame.parse`, `FrameCoder`, `JSONOutput`.
        .executableTarget(
            name: "FuzzClientFrame",
            dependencies: ["FuzzSupport", .product(name: "ParleyProtocol", package: "parley")],
            swiftSettings: fuzzTargetSettings
        ),
        // HTTP request bodies, decoded with `FrameCoder.decode` as the routes do.
        .executableTarget(
            name: "FuzzHTTPBodies",
            dependencies: ["FuzzSupport", .product(name: "ParleyProtocol", package: "parley")],
            swiftSettings: fuzzTargetSettings
        ),
        // The NATS server-protocol decoder (`ServerOperationDecoder`), whole and in pieces.
        .executableTarget(
            name: "FuzzNATSProtocol",
            dependencies: [
                "FuzzSupport",
                .product(name: "ParleyNATS", package: "parley"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: fuzzTargetSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
