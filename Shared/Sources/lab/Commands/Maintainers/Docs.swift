import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

/// Runs every command printed in README.md and each scenario's SCENARIO.md, as written. Part of `./lab test`.
struct Docs: LabCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs-check",
        abstract: "Run every command printed in README.md and each SCENARIO.md, as written (part of ./lab test)."
    )

    @Option(help: "Check only this scenario's SCENARIO.md (e.g. 03), not the README and the others.") var only: String?

    func execute() async throws {
        let paths = try LabPaths.discover()
        let runner = try DocCommandRunner(paths: paths)
        let onlyFolder = try self.only.map { try Scenario.find($0, in: paths).folder.standardizedFileURL }
        var failures: [DocCommandRunner.Failure] = []
        var ran = 0

        // README: `./lab test` is this very run, so it is checked to be what CI calls instead of run again.
        let ci = (try? String(contentsOf: paths.root.appendingPathComponent(".ci/run"), encoding: .utf8)) ?? ""
        let readme = try String(contentsOf: paths.root.appendingPathComponent("README.md"), encoding: .utf8)
        if !DocCommands.extract(fromMarkdown: readme).contains("./lab test") || !ci.contains("./lab test") {
            failures.append(
                .init(document: "README.md", command: "./lab test", problem: "must be the README's test command and what .ci/run calls")
            )
        }
        if onlyFolder == nil {
            say("README.md")
            let readmeRun = try await runner.run(document: "README.md", skip: ["./lab test"])
            ran += readmeRun.ran
            failures += readmeRun.failures
        }

        for folder in paths.scenarioFolders() where onlyFolder == nil || folder.standardizedFileURL == onlyFolder {
            let document = "\(folder.lastPathComponent)/SCENARIO.md"
            guard FileManager.default.fileExists(atPath: paths.root.appendingPathComponent(document).path) else { continue }
            let scenario = try Scenario(folder: folder)
            say(document)
            let result = try await runner.run(document: document)
            ran += result.ran
            failures += result.failures
            // Leave the scenario as a learner starts it: no background server, database reset.
            _ = try await runner.shell("./lab stop \(scenario.number)", timeout: .seconds(60))
            if try await runner.shell("./lab reset \(scenario.number) --database-only", timeout: .seconds(300)) != 0 {
                failures.append(
                    .init(
                        document: document,
                        command: "./lab reset \(scenario.number) --database-only",
                        problem: "failed after the document's commands"
                    )
                )
            }
        }
        let secondTries = runner.commandsPassedOnSecondTry
        if !secondTries.isEmpty {
            say("Passed on a second try (the first try's output is above, after ↻):")
            for command in secondTries { say("  ↻ \(command)") }
        }
        for failure in failures { say("✗ \(failure)") }
        say("\(ran - failures.count) passed, \(failures.count) failed")
        if !failures.isEmpty { throw ExitCode(1) }
    }
}
