import ArgumentParser
import Foundation
import LabKit

struct Seed: LabCommand {
    static let configuration = CommandConfiguration(abstract: "Fill the scenario's database with its data (safe to re-run; resumes if interrupted).")
    @OptionGroup var scenario: ScenarioArgument
    @Option(help: "Number of rows (default: the scenario's lab.json).") var rows: Int?

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        _ = try await prepareDatabase(scenario, paths: paths, seed: false)
        let url = try LabDatabase.url(for: scenario)
        let report = try await Seeder(scenario: scenario, url: url).seed(rows: self.rows) { printStep($0) }
        printStep(
            report.batchesInserted == 0
                ? "already seeded: \(report.rows) rows"
                : "seeded \(report.rows) rows (\(report.batchesInserted) batches) in \(String(format: "%.1f", report.seconds)) s"
        )
    }
}
