// swift-tools-version:6.1
import PackageDescription

// One target per responsibility; see docs/decisions.md and ARCHITECTURE in README.
let package = Package(
    name: "parley",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "parley", targets: ["parley"]),
        .library(name: "ParleyProtocol", targets: ["ParleyProtocol"]),
        .library(name: "ParleyClient", targets: ["ParleyClient"]),
        // For the fuzz targets in Fuzz/ (the NATS protocol decoder, as SPI "Fuzzing").
        .library(name: "ParleyNATS", targets: ["ParleyNATS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
    ],
    targets: [
        // Wire types shared by server, SDK and tools. Foundation only.
        .target(name: "ParleyProtocol"),
        // The system SQLite library (libsqlite3-dev), used by the embedded store.
        .systemLibrary(
            name: "CSQLite",
            path: "Sources/CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // The system zlib (zlib1g-dev), for permessage-deflate frames compressed once per delivery.
        .systemLibrary(
            name: "CZlib",
            path: "Sources/CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // The storage interface and its records; no engine inside.
        .target(name: "ParleyStore"),
        // The embedded engine: SQLite in WAL mode with group commit.
        .target(
            name: "ParleySQLite",
            dependencies: [
                "ParleyStore", "CSQLite",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The production engine: PostgreSQL through postgres-nio, messages partitioned by month.
        .target(
            name: "ParleyPostgres",
            dependencies: [
                "ParleyStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // A NATS client over SwiftNIO (core protocol, request/reply, reconnection), for clusters.
        .target(
            name: "ParleyNATS",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Routing of encoded events to the node holding each user's sessions.
        .target(
            name: "ParleyBus",
            dependencies: [
                "ParleyProtocol", "ParleyNATS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Durable work queues: a table in the store on one node, JetStream in a cluster.
        .target(
            name: "ParleyTasks",
            dependencies: [
                "ParleyStore", "ParleyNATS",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // Domain services: accounts, messaging, conversations, sync. No networking.
        .target(
            name: "ParleyCore",
            dependencies: [
                "ParleyProtocol", "ParleyStore", "ParleyBus", "ParleyTasks",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // The push services Parley calls (APNs, FCM, HMS, MiPush, a webhook, SMTP), behind ParleyCore's
        // `PushProvider` and `EmailSender`.
        .target(
            name: "ParleyPush",
            dependencies: [
                "ParleyCore", "ParleyProtocol", "ParleyStore", "ParleyTasks",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOExtras", package: "swift-nio-extras"),
            ]
        ),
        // Media: type sniffing's partners — image and video processing (libvips, ffmpeg, run as
        // bounded processes), storage on disk or S3 (SigV4), streamed intake, resumable uploads.
        .target(
            name: "ParleyMedia",
            dependencies: [
                "ParleyCore", "ParleyProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The browser client (HTML, CSS, JavaScript modules in App/), embedded in the binary.
        .target(
            name: "ParleyWeb",
            exclude: ["tsconfig.json"],
            resources: [.embedInCode("App")]
        ),
        // Hummingbird application: HTTP routes, WebSocket gateway, auth, configuration.
        .target(
            name: "ParleyServer",
            dependencies: [
                "ParleyCore", "ParleySQLite", "ParleyPostgres", "ParleyBus", "ParleyNATS", "ParleyProtocol", "ParleyStore", "ParleyTasks", "ParleyPush", "ParleyMedia", "ParleyWeb", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSCompression", package: "hummingbird-websocket"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The Swift client SDK: reconnecting, retrying, ordering. Wire types + a WebSocket client only.
        .target(
            name: "ParleyClient",
            dependencies: [
                "ParleyProtocol",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The load generator: scenarios over many WebSocket connections, HdrHistogram latencies.
        .target(
            name: "ParleyBench",
            dependencies: [
                "ParleyProtocol", "ParleyClient",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "parley",
            dependencies: [
                "ParleyServer", "ParleyCore", "ParleyClient", "ParleyBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ParleyCoreTests",
            dependencies: [
                "ParleyCore", "ParleySQLite", "ParleyStore", "ParleyBus", "ParleyProtocol", "ParleyTasks",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        // One behaviour, two engines: the same store tests against SQLite and PostgreSQL.
        .testTarget(
            name: "ParleyStoreTests",
            dependencies: [
                "ParleyStore", "ParleySQLite", "ParleyPostgres",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A real nats-server for the tests that need one.
        .target(name: "NATSServerFixture", dependencies: ["ParleyNATS"], path: "Tests/NATSServerFixture"),
        .testTarget(
            name: "ParleyNATSTests",
            dependencies: [
                "ParleyNATS", "NATSServerFixture", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        // Both work queues: on a real SQLite store and on a real nats-server -js.
        .testTarget(
            name: "ParleyTasksTests",
            dependencies: [
                "ParleyTasks", "ParleyNATS", "NATSServerFixture", "ParleySQLite", "ParleyStore", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "ParleyClientTests",
            dependencies: ["ParleyClient", "ParleyServer", "ParleyProtocol"]
        ),
        .testTarget(
            name: "ParleyPushTests",
            dependencies: ["ParleyPush", "ParleyCore", "ParleyStore", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(
            name: "ParleyMediaTests",
            dependencies: ["ParleyMedia", "ParleyCore", .product(name: "NIOCore", package: "swift-nio")]
        ),
        // The HTTP layer's pure parts (ranges, validators, tus headers), without a server.
        .testTarget(
            name: "ParleyServerTests",
            dependencies: ["ParleyServer", "ParleyWeb", .product(name: "NIOCore", package: "swift-nio")]
        ),
        .testTarget(
            name: "ParleyProtocolTests",
            dependencies: ["ParleyProtocol"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
