import ArgumentParser
import Foundation
import LabKit

struct Drill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fault drill: under load, stop each real component (PostgreSQL, nginx, companions) for a few seconds, start it again, "
            + "and check the server survives (exit 0 = no crash, 503s with a message, back by itself)."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Drill server-fixed instead of server (when no server of the scenario runs yet).") var fixed = false
    @Option(help: "Only this component (PostgreSQL, nginx, or a companion's name); repeatable.") var component: [String] = []

    func run() async throws {
        let passed: Bool = try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            let drill = FaultDrill(scenario: scenario, paths: paths, database: LabDatabase(paths: paths))
            let known = drill.components.map(\.name)
            for name in self.component where !known.contains(name) {
                throw LabError("scenario \(scenario.number) has no component '\(name)'; it has: \(known.joined(separator: ", "))")
            }
            let components = drill.components.filter { self.component.isEmpty || self.component.contains($0.name) }
            return try await withScenarioServer(scenario, paths: paths, fixed: self.fixed) { product in
                var passed = true
                for component in components {
                    printStep("stopping \(component.name) for 4 s under the standard load...")
                    let report = try await drill.run(component, product: product)
                    say(report.render() + "\n")
                    passed = passed && report.passed
                }
                return passed
            }
        }
        if !passed { throw ExitCode(1) }
    }
}

struct BadInput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bad-input",
        abstract: "Send every request of the scenario with bad values (NUL bytes, huge numbers, broken JSON...) and check each gets "
            + "a 4xx with a message, nothing is stored and the server keeps running (exit 0 = all handled)."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Test server-fixed instead of server (when no server of the scenario runs yet).") var fixed = false

    func run() async throws {
        let passed: Bool = try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            return try await withScenarioServer(scenario, paths: paths, fixed: self.fixed) { product in
                let report = try await BadInputCorpus(scenario: scenario, database: LabDatabase(paths: paths)).run()
                say(report.render(product: product))
                return report.findings.isEmpty
            }
        }
        if !passed { throw ExitCode(1) }
    }
}

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
    _ = try await prepareDatabase(scenario, paths: paths)
    let product = productName(fixed: fixed)
    for line in try await Companions(scenario: scenario, paths: paths).start(build: true) { printStep(line) }
    printStep("building \(product) (release)...")
    _ = try SwiftBuild(paths: paths).build(scenario, product: product, streamOutput: true)
    return try await ServerRun(scenario: scenario, paths: paths).with(product) { try await body(product) }
}
