// swift-tools-version:6.2
import PackageDescription

// Scenario 05: a shop whose database answers the same expensive questions again and again. `server` has no cache;
// `server-fixed` puts Redis in front of PostgreSQL and shows each way a cache bites back, each fix explained.
let package = Package(
    name: "scenario-05-caching",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../Shared")
    ],
    targets: [
        .executableTarget(
            name: "server",
            dependencies: [
                .product(name: "LabServer", package: "Shared"),
                .product(name: "LabRedis", package: "Shared"),
            ]
        ),
        .executableTarget(
            name: "server-fixed",
            dependencies: [
                .product(name: "LabServer", package: "Shared"),
                .product(name: "LabRedis", package: "Shared"),
            ]
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
