import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

struct Hint: LabCommand {
    static let configuration = CommandConfiguration(
        abstract: "The next hint for what your last ./lab check observed (level 1: where to look, 2: which concept, 3: the shape of the fix)."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Show again every hint seen so far for the current problem, without a new one.") var all = false

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        let store = ProgressStore(paths: paths)
        let (progress, warning) = store.load()
        if let warning { printStep(warning) }
        let entry = progress.scenarios[scenario.number] ?? LearnerProgress.Scenario()
        let problems = try ProblemCatalog.load(for: scenario)?.problems ?? []
        let problem: ProblemCatalog.Problem
        let level: Int
        switch HintLadder.next(entry: entry, problems: problems, again: self.all) {
        case .needsCheck:
            say(
                "Run ./lab check \(scenario.number) first (again, if the last one stopped with an error): hints are chosen from what "
                    + "the check observes on your server."
            )
            return
        case .passed:
            say("Your last check passed: nothing left to hint. ./lab progress shows what is next.")
            return
        case .noKnownProblem:
            say(
                "Your last check missed a target without any of the problems it knows about, so there is no hint for it. "
                    + "If requests failed, its report says what they answered (\"the first 503 said: ...\"), and ./lab logs \(scenario.number) "
                    + "shows the server's side. If nothing failed and only a timing target (p99, throughput) was missed, the machine was "
                    + "probably busy with something else (uptime shows its load; 2 cores are busy above 2): check again when it is quieter. "
                    + "Then see the Stuck? table at the end of \(scenario.folderName)/SCENARIO.md."
            )
            return
        case .hints(let next, let nextLevel, _):
            (problem, level) = (next, nextLevel)
        }
        let shown = entry.hintsShown?[problem.id] ?? 0
        let first = self.all ? 1 : level
        say("Problem: \(problem.title)")
        for number in first...level {
            say("\nHint \(number) of 3 (\(HintLadder.levelNames[number - 1])):")
            say("  " + problem.hints[number - 1])
        }
        if !self.all && shown >= 3 {
            say("\nThat was the last hint. The reference solution is named in the Stuck? table at the end of SCENARIO.md.")
        } else if level < 3 {
            say("\nStill stuck? ./lab hint \(scenario.number) again for hint \(level + 1). Check your fix with ./lab check \(scenario.number).")
        }
        store.update(scenario.number) { HintLadder.record(level: level, of: problem.id, in: &$0) }
    }
}
