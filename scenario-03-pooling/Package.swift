// swift-tools-version:6.2
import PackageDescription

// Scenario 03: a ticket shop whose queries are indexed and fast, but whose connection pool is wrong.
// `server` is what the learner runs; `server-fixed` is the reference with every change explained;
// `payment-provider` stands in for the remote card-payment API the checkout calls (its latency is the
// only delay in the lab that is not real work).
let package = Package(
    name: "scenario-03-pooling",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../Shared"),
        // The HTTP client the servers call the payment provider with.
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
    ],
    targets: [
        .executableTarget(
            name: "server",
            dependencies: [
                .product(name: "LabServer", package: "Shared"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "server-fixed",
            dependencies: [
                .product(name: "LabServer", package: "Shared"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .executableTarget(
            name: "payment-provider",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
        .testTarget(
            name: "LessonTests",
            dependencies: [
                .product(name: "LabKit", package: "Shared"),
                .product(name: "LabTesting", package: "Shared"),
                .product(name: "LoadTestKit", package: "Shared"),
            ]
        ),
    ]
)
