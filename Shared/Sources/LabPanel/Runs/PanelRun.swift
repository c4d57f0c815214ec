import Foundation
import LabKit
import LoadTestKit

/// One `./lab check` or `./lab load` the panel started: its output goes to a file the browser streams, and its
/// verdict to a JSON file the panel turns into target cards.
public struct PanelRun: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case check, load
    }

    public var id: Int
    public var kind: Kind
    public var scenario: Scenario
    public var started: Date
    /// Both streams of the `lab` process, as the terminal would show them.
    public var output: URL
    /// `--summary-json` of a check, `--json` of a load.
    public var verdict: URL
    /// Nil while it runs.
    public var exitStatus: Int32?

    public var finished: Bool { self.exitStatus != nil }

    /// The command line, after the `lab` executable.
    public var arguments: [String] {
        switch self.kind {
        case .check: ["check", self.scenario.number, "--summary-json", self.verdict.path]
        case .load: ["load", self.scenario.number, "--json", self.verdict.path]
        }
    }

    /// What the run concluded, once finished: the check's summary, or a load's targets.
    public func outcome() -> Outcome? {
        guard self.finished else { return nil }
        switch self.kind {
        case .check:
            return CheckSummary.read(from: self.verdict).map(Outcome.check)
        case .load:
            guard let data = FileManager.default.contents(atPath: self.verdict.path),
                let result = try? JSONDecoder().decode(LoadResult.self, from: data)
            else { return nil }
            let cards = LearnerCheckReport.targetCards(result, scenario: self.scenario)
            return .load(cards: cards, passed: cards.allSatisfy(\.met))
        }
    }

    public enum Outcome: Sendable {
        case check(CheckSummary)
        case load(cards: [LearnerCheckReport.TargetCard], passed: Bool)
    }
}
