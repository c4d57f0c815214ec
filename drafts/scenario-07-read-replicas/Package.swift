// swift-tools-version:6.2
import PackageDescription

// Scenario 07: a read-heavy review site with a streaming replica. `server` sends its page reads to the replica and
// everything else to the primary; `server-fixed` routes each read by what it needs (freshness, or a long scan away
// from the writes) and keeps working when the replica is gone, each change explained.
let package = Package(
    name: "scenario-07-read-replicas",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../Shared")
    ],
    targets: [
        .executableTarget(
            name: "server",
            dependencies: [.product(name: "LabServer", package: "Shared")]
        ),
        .executableTarget(
            name: "server-fixed",
            dependencies: [.product(name: "LabServer", package: "Shared")]
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
