import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

struct Check: LabCommand {
    static let configuration = CommandConfiguration(
        abstract: "Is it fixed? Load your running server, look for the scenario's known problems, and say what is left (exit 0 = pass)."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Option(help: ArgumentHelp("Also write the verdict as JSON to this file (what the exercise panel shows).", visibility: .hidden))
    var summaryJSON: String?

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        let database = LabDatabase(paths: paths)
        try await database.startServer()
        let load = scenario.manifest.load
        say("Checking scenario \(scenario.number): \(scenario.manifest.title)")
        let check = LearnerCheck(scenario: scenario, database: database)
        let store = ProgressStore(paths: paths)
        // Whatever the last check observed no longer holds: a check that stops with an error must not leave
        // its hints behind (./lab hint then asks for a check).
        store.update(scenario.number) { entry in (entry.lastFindings, entry.lastCheckPassed) = (nil, nil) }
        try ensureNotAnotherScenariosServer(scenario, paths: paths)
        try check.preflight()
        say("Sending the standard load: \(load.users) users for \(Int(load.durationSeconds)) s to \(scenario.serverURL)...")
        let duration = load.durationSeconds
        var outcome = try await check.run { progress in
            say(LoadReport.progressLine(progress, durationSeconds: duration))
        }
        // A check of the previous build judges code the learner has since changed: say so before the verdict,
        // whatever it is (a pass of old code, or a failure that is not the new fix's).
        if WatchState(scenario: scenario, paths: paths).servesPreviousBuild {
            outcome.warnings.append(
                "⚠ Your last save did not compile, so this check ran the previous build, not your latest code. "
                    + "Terminal 1 (or ./lab logs \(scenario.number)) shows the compiler's error; fix it, save, and check again."
            )
        }
        say("")
        var (progress, warning) = store.load()
        if let warning { printStep(warning) }
        var entry = progress.scenarios[scenario.number] ?? LearnerProgress.Scenario()
        say(LearnerCheckReport.render(outcome, scenario: scenario, hintsShown: entry.hintsShown ?? [:]))

        let numbers = LearnerCheckReport.numbers(outcome)
        if let path = self.summaryJSON {
            do { try CheckSummary(outcome, scenario: scenario, at: numbers.measuredAt).write(to: path) } catch {
                printStep("could not write \(path): \(error)")
            }
        }
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
                if let (file, fixed) = scenario.manifest.fixedConfigs?.sorted(by: { $0.key < $1.key }).first {
                    let n = scenario.number
                    why =
                        "Its \(file) half is \(fixed): keep a copy of yours, cp \(scenario.folderName)/\(fixed) \(scenario.folderName)/\(file), ./lab stop \(n), ./lab start \(n) --fixed, and check again."
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
            entry.lastCheckPassed = outcome.passed
            entry.record(numbers)
            if entry.best.map({ numbers.isBetter(than: $0) }) ?? true { entry.best = numbers }
            if outcome.passed {
                let first = entry.firstPass == nil
                entry.firstPass = entry.firstPass ?? now
                say("")
                say(LearnerCheckReport.reveal(scenario: scenario, yours: entry.best ?? numbers, reference: entry.reference, first: first))
                say(FrontEnd.current == .panel ? "\nYour progress: the track page (Your track, at the top)." : "\nYour progress: ./lab progress")
            }
        }
        progress.scenarios[scenario.number] = entry
        do { try store.save(progress) } catch { printStep("could not save your progress (\(store.file.path)): \(error)") }
        let passed = outcome.passed
        if !passed { throw ExitCode(1) }
    }
}
