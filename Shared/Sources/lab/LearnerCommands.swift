import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

struct Check: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Is it fixed? Load your running server, look for the scenario's known problems, and say what is left (exit 0 = pass)."
    )
    @OptionGroup var scenario: ScenarioArgument

    func run() async throws {
        let passed: Bool = try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            let database = LabDatabase(paths: paths)
            try await database.startServer()
            let load = scenario.manifest.load
            say("Checking scenario \(scenario.number): \(scenario.manifest.title)")
            say("Sending the standard load: \(load.users) users for \(Int(load.durationSeconds)) s to \(scenario.serverURL)...")
            let duration = load.durationSeconds
            let outcome = try await LearnerCheck(scenario: scenario, database: database).run { progress in
                say(LoadReport.progressLine(progress, durationSeconds: duration))
            }
            say("")
            let store = ProgressStore(paths: paths)
            var (progress, warning) = store.load()
            if let warning { printStep(warning) }
            var entry = progress.scenarios[scenario.number] ?? LearnerProgress.Scenario()
            say(LearnerCheckReport.render(outcome, scenario: scenario, hintsShown: entry.hintsShown ?? [:]))

            let numbers = LearnerCheckReport.numbers(outcome)
            if outcome.server?.program == "server-fixed" {
                // The reference, not the learner's work. Its numbers are kept for the side-by-side only when it
                // passed: a reference that failed here (a busy machine, a database without its fix) is no yardstick.
                if outcome.passed {
                    entry.reference = numbers
                    say("\nThis was the reference solution (server-fixed), not your server: its numbers are saved as the reference.")
                    if let best = entry.best, entry.firstPass != nil {
                        say(LearnerCheckReport.sideBySide(yours: best, reference: numbers))
                    } else {
                        say(
                            "They will show next to yours after your first pass. To check your own work, run your server (./lab up \(scenario.number))."
                        )
                    }
                } else {
                    var why = "Was the machine busy with something else? Check it again in a quiet moment."
                    if let fix = scenario.manifest.fix {
                        why = "Its database half is \(fix): apply it with ./lab psql \(scenario.number) -f \(fix), then check again."
                    }
                    say(
                        "\nThis was the reference solution (server-fixed), and it did not pass here, so its numbers are not kept as the reference. \(why)"
                    )
                }
            } else {
                let now = Date()
                entry.started = entry.started ?? now
                entry.firstLoadTest = entry.firstLoadTest ?? now
                entry.checks = (entry.checks ?? 0) + 1
                entry.lastFindings = outcome.findings.map(\.problem.id)
                if entry.best.map({ numbers.isBetter(than: $0) }) ?? true { entry.best = numbers }
                if outcome.passed {
                    let first = entry.firstPass == nil
                    entry.firstPass = entry.firstPass ?? now
                    say("")
                    say(LearnerCheckReport.reveal(scenario: scenario, yours: entry.best ?? numbers, reference: entry.reference, first: first))
                    say("\nYour progress: ./lab progress")
                }
            }
            progress.scenarios[scenario.number] = entry
            do { try store.save(progress) } catch { printStep("could not save your progress (\(store.file.path)): \(error)") }
            return outcome.passed
        }
        if !passed { throw ExitCode(1) }
    }
}

struct Hint: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The next hint for what your last ./lab check observed (level 1: where to look, 2: which concept, 3: the shape of the fix)."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Show again every hint seen so far for the current problem, without a new one.") var all = false

    func run() async throws {
        try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            let store = ProgressStore(paths: paths)
            let (progress, warning) = store.load()
            if let warning { printStep(warning) }
            let entry = progress.scenarios[scenario.number] ?? LearnerProgress.Scenario()
            guard let findings = entry.lastFindings else {
                say("Run ./lab check \(scenario.number) first: hints are chosen from what the check observes on your server.")
                return
            }
            let problems = try LearnerChecks.load(for: scenario)?.problems ?? []
            guard let problem = findings.lazy.compactMap({ id in problems.first { $0.id == id } }).first else {
                say(
                    entry.firstPass != nil && findings.isEmpty
                        ? "Your last check passed: nothing left to hint. ./lab progress shows what is next."
                        : "Your last check observed none of the known problems. See the Stuck? table at the end of \(scenario.folderName)/SCENARIO.md."
                )
                return
            }
            let shown = entry.hintsShown?[problem.id] ?? 0
            let level = self.all ? max(shown, 1) : min(shown + 1, 3)
            let first = self.all ? 1 : level
            say("Problem: \(problem.title)")
            for number in first...level {
                say("\nHint \(number) of 3 (\(["where to look", "which concept", "the shape of the fix"][number - 1])):")
                say("  " + problem.hints[number - 1])
            }
            if !self.all && shown >= 3 {
                say("\nThat was the last hint. The reference solution is named in the Stuck? table at the end of SCENARIO.md.")
            } else if level < 3 {
                say("\nStill stuck? ./lab hint \(scenario.number) again for hint \(level + 1). Check your fix with ./lab check \(scenario.number).")
            }
            store.update(scenario.number) { entry in
                var hints = entry.hintsShown ?? [:]
                hints[problem.id] = max(hints[problem.id] ?? 0, level)
                entry.hintsShown = hints
            }
        }
    }
}

struct ProgressCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "progress",
        abstract: "Your progress through the track, and the scenario to do next."
    )

    func run() async throws {
        try await reportingErrors {
            let paths = try LabPaths.discover()
            let (progress, warning) = ProgressStore(paths: paths).load()
            if let warning { printStep(warning) }
            say(LearnerTrack.render(progress: progress, builtScenarios: try paths.scenarioFolders().map(Scenario.init(folder:))))
        }
    }
}
