// swift-tools-version:6.2
import PackageDescription

// Scenario 01: a single server and a database, and what breaks when 100 people use it at once.
// `server` is the naive version the learner fixes; `server-fixed` is the reference solution.
let package = Package(
    name: "scenario-01-single-server",
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
