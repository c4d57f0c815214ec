// swift-tools-version:6.2
import PackageDescription

// Scenario 06: a parcel-tracking API run as three instances behind HAProxy. The instances are stateless, and
// yet users see errors and slow pages, because the balancer keeps sending traffic where it should not.
// `server` and `haproxy.cfg` are the naive setup; `server-fixed` and `haproxy.fixed.cfg` the reference, each
// change explained.
let package = Package(
    name: "scenario-06-load-balancing",
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
