// swift-tools-version:6.2
import PackageDescription

/// Strict Swift 6 plus the upcoming features Hummingbird itself builds with.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "Shared",
    platforms: [.macOS(.v15)],
    products: [
        /// What every scenario server links: HTTP listener, metrics, PostgreSQL access.
        .library(name: "LabServer", targets: ["LabServer"]),
        /// The load generator engine (also used in-process by lesson tests).
        .library(name: "LoadTestKit", targets: ["LoadTestKit"]),
        /// The lab tooling: scenario manifests, the real components (services), seeding, processes, checks.
        .library(name: "LabKit", targets: ["LabKit"]),
        /// What only tests use: lesson measurements, dashboard checks against a real Prometheus.
        .library(name: "LabTesting", targets: ["LabTesting"]),
        /// The Redis client scenario servers link next to `LabServer` (the package set has none).
        .library(name: "LabRedis", targets: ["LabRedis"]),
        /// The exercise panel (`./lab panel`): the guide, live checks, hints, graphs, progress and the reveal in a
        /// browser, on the same engine as the command line.
        .library(name: "LabPanel", targets: ["LabPanel"]),
        .executable(name: "lab", targets: ["lab"]),
        .executable(name: "loadtest", targets: ["loadtest"]),
        .executable(name: "redis-bench", targets: ["redis-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0", traits: ["CommandLineArguments"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        // The panel's pages: Markdown (the guides) and templates, both from the package set (no npm, no CDN).
        .package(url: "https://github.com/JohnSundell/Ink.git", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        /// What both the servers and the tooling need, without Hummingbird: the database URL.
        .target(
            name: "LabCore",
            dependencies: [.product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LabServer",
            dependencies: [
                "LabCore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                // Only for `ConnectionPoolError`, which PostgresClient throws once its circuit breaker trips.
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LoadTestKit",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LabKit",
            dependencies: [
                "LoadTestKit",
                "LabCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LabTesting",
            dependencies: ["LabKit", "LoadTestKit", .product(name: "PostgresNIO", package: "postgres-nio")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LabRedis",
            dependencies: [
                "LabServer",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "LabPanel",
            dependencies: [
                "LabKit",
                "LoadTestKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Ink", package: "Ink"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "lab",
            dependencies: [
                "LabKit", "LabCore", "LoadTestKit", "LabPanel", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "loadtest",
            dependencies: ["LabKit", "LoadTestKit", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "redis-bench",
            dependencies: [
                "LabRedis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LabRedisTests",
            dependencies: [
                "LabRedis", "LabServer", "LabKit", "LabTesting",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The exercise panel's routes, pages and rules (HummingbirdTesting, no browser).
        .testTarget(
            name: "PanelTests",
            dependencies: [
                "LabPanel", "LabKit", "LoadTestKit",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        /// The service kinds against the real programs (PostgreSQL, redis-server, Prometheus and exporters).
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "LabKit", "LabCore", "LabTesting", "LabServer",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "SharedTests",
            dependencies: [
                "LabServer", "LoadTestKit", "LabKit", "LabTesting", "LabCore", "LabPanel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
