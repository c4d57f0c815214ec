import Foundation
import LabKit

/// Runs `body` against the scenario's server: the one already running (left running), or else the variant
/// asked for, built and started in the background for `body` and stopped afterwards.
func withScenarioServer<T: Sendable>(
    _ scenario: Scenario,
    paths: LabPaths,
    fixed: Bool,
    _ body: (_ product: String) async throws -> T
) async throws -> T {
    if ServerProcess.healthStatus(port: scenario.manifest.port) == 200 {
        let product = ServerProcess(scenario: scenario, paths: paths).running()?.product ?? "the running server"
        printStep("using \(product), which already runs on \(scenario.serverURL)")
        return try await body(product)
    }
    _ = try await prepareScenario(scenario, paths: paths)
    let product = fixed ? "server-fixed" : "server"
    printStep("building \(product) (release)...")
    _ = try await SwiftBuild(paths: paths).build(scenario, product: product, streamOutput: true)
    return try await ServerRun(scenario: scenario, paths: paths).with(product) { try await body(product) }
}
