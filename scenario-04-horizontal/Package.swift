// swift-tools-version:6.2
import PackageDescription

// Scenario 04: a recipe-sharing site that worked on one server and breaks when a second one runs beside it
// behind a load balancer. `server` keeps its state in its own memory and on its own disk; `server-fixed`
// keeps every piece of state where all instances see it, each change explained.
let package = Package(
    name: "scenario-04-horizontal",
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
