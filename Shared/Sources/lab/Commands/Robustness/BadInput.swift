import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

struct BadInput: LabCommand {
    static let configuration = CommandConfiguration(
        commandName: "bad-input",
        abstract: "Send every request of the scenario with bad values (NUL bytes, huge numbers, broken JSON...) and check each gets "
            + "a 4xx with a message, nothing is stored and the server keeps running (exit 0 = all handled)."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Test server-fixed instead of server (when no server of the scenario runs yet).") var fixed = false

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        let passed = try await withScenarioServer(scenario, paths: paths, fixed: self.fixed) { product in
            let report = try await BadInputCorpus(scenario: scenario, database: LabDatabase(paths: paths)).run()
            say(report.render(product: product))
            return report.findings.isEmpty
        }
        if !passed { throw ExitCode(1) }
    }
}
