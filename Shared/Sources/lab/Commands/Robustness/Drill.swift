import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

struct Drill: LabCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Fault drill: under load, stop each real component (PostgreSQL, nginx, HAProxy, Redis, companions) for a few seconds, start it again, "
            + "and check the server survives (exit 0 = no crash, 503s with a message, back by itself)."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Drill server-fixed instead of server (when no server of the scenario runs yet).") var fixed = false
    @Option(help: "Only this component (PostgreSQL, nginx, or a companion's name); repeatable.") var component: [String] = []

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        let drill = FaultDrill(scenario: scenario, paths: paths, database: LabDatabase(paths: paths))
        let known = drill.components.map(\.name)
        for name in self.component where !known.contains(name) {
            throw LabError("scenario \(scenario.number) has no component '\(name)'; it has: \(known.joined(separator: ", "))")
        }
        let components = drill.components.filter { self.component.isEmpty || self.component.contains($0.name) }
        let failed = try await withScenarioServer(scenario, paths: paths, fixed: self.fixed) { product in
            var failed: [String] = []
            for component in components {
                printStep("stopping \(component.name) for 4 s under the standard load...")
                let report = try await drill.run(component, product: product)
                say(report.render() + "\n")
                if !report.passed { failed.append(component.name) }
            }
            return failed
        }
        if failed.isEmpty {
            say(
                "✓ The server survived every outage (\(components.map(\.name).joined(separator: ", "))): no crash, 503s with a message, back by itself."
            )
        } else {
            say("✗ Not survived: \(failed.joined(separator: ", ")) (the lines marked ✗ above say how).")
            throw ExitCode(1)
        }
    }
}
