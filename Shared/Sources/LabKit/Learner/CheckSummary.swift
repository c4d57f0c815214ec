import Foundation
import LoadTestKit

/// What one `./lab check` concluded, as data: `./lab check --summary-json FILE` writes it so that the exercise
/// panel shows the same verdict as the terminal (target cards, problems observed) without parsing text.
public struct CheckSummary: Codable, Sendable, Equatable {
    public struct Finding: Codable, Sendable, Equatable {
        public var id: String
        public var title: String
        /// What the check measured, e.g. "every request ran a sequential scan of users".
        public var message: String
    }

    public var scenario: String
    /// `server` (the learner's), `server-fixed` (the reference), or nil when the server did not say.
    public var program: String?
    public var passed: Bool
    public var targetsMet: Bool
    public var targets: [LearnerCheckReport.TargetCard]
    public var findings: [Finding]
    /// Fault phases, idle instances and a busy machine, in the check's own words.
    public var notes: [String]
    public var numbers: LearnerProgress.Numbers

    public init(_ outcome: LearnerCheck.Outcome, scenario: Scenario, at date: Date = Date()) {
        self.scenario = scenario.number
        self.program = outcome.server?.program
        self.passed = outcome.passed
        self.targetsMet = outcome.targetsMet
        self.targets = LearnerCheckReport.targetCards(outcome.result, scenario: scenario)
        self.findings = outcome.findings.map { Finding(id: $0.problem.id, title: $0.problem.title, message: $0.message) }
        var notes = outcome.warnings + (outcome.replicationLag?.render().map { [$0] } ?? []) + outcome.faultPhases
        if !outcome.idleInstances.isEmpty {
            notes.append("Not every instance took its share of the load: \(outcome.idleInstances.joined(separator: "; ")).")
        }
        if let busy = outcome.busyMachineNote { notes.append(busy) }
        self.notes = notes
        self.numbers = LearnerCheckReport.numbers(outcome, at: date)
    }

    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    public static func read(from url: URL) -> CheckSummary? {
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try? decoder.decode(CheckSummary.self, from: data)
    }
}
