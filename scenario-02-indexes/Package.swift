// swift-tools-version:6.2
import PackageDescription

// Scenario 02: a shop whose queries are correct but slow, on 2,000,000 orders: find the missing indexes
// (and skip the useless ones). `server` is what the learner runs; `server-fixed` is the same code with
// comments naming the index each query needs - the fix itself is `fix.sql`.
let package = Package(
    name: "scenario-02-indexes",
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
