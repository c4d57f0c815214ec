import Foundation
import LoadTestKit

/// What `./lab check` prints, as text (kept apart from the command so tests can read it).
public enum LearnerCheckReport {
    /// The verdict: each target with its number, each observed problem, and what to do next.
    /// - Parameter hintsShown: problem id → hint levels the learner has already seen.
    public static func render(_ outcome: LearnerCheck.Outcome, scenario: Scenario, hintsShown: [String: Int]) -> String {
        var lines: [String] = outcome.warnings.isEmpty ? [] : outcome.warnings + [""]
        lines.append(
            outcome.slowness == 1
                ? "Targets (from lab.json):"
                : String(format: "Targets (from lab.json, scaled for a machine %.2f times slower: a lesson test's run):", outcome.slowness)
        )
        for card in Self.targetCards(outcome.result, scenario: scenario, slowness: outcome.slowness) {
            lines.append("  \(card.met ? "✓" : "✗") \(card.label.padding(toLength: 50, withPad: " ", startingAt: 0)) measured \(card.measured)")
        }
        if let lag = outcome.replicationLag?.render() { lines.append("  " + lag) }
        lines.append("")
        if !outcome.faultPhases.isEmpty {
            lines += outcome.faultPhases
            lines.append("")
        }
        let n = scenario.number
        if outcome.findings.isEmpty && !outcome.idleInstances.isEmpty {
            lines.append("What the check observed:")
        } else if outcome.findings.isEmpty {
            lines.append("What the check observed: none of the problems it knows about.")
            if !outcome.targetsMet {
                let totals = outcome.result.totals
                if totals.failed * 1000 > totals.sent {
                    // Failures the check has no name for: what the server answered is the best lead.
                    let statuses = totals.httpErrors.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }
                    let others = [(totals.timeouts, "timed out"), (totals.connectionErrors, "could not connect")].filter { $0.0 > 0 }
                    let what = (statuses + others.map { "\($0.0) \($0.1)" }).joined(separator: ", ")
                    lines.append("  Yet a target is missed: \(totals.failed) of \(totals.sent) requests failed (\(what)).")
                    for (status, example) in totals.errorExamples.sorted(by: { $0.key < $1.key }) {
                        lines.append("    The first \(status) said: \(example)")
                    }
                    lines.append(
                        "  The server's log says more: ./lab logs \(n). Then see the Stuck? table at the end of \(scenario.folderName)/SCENARIO.md."
                    )
                } else {
                    lines.append(
                        "  Yet a target is missed. Run the check again (was something else busy?), then see the Stuck? table at the end of "
                            + "\(scenario.folderName)/SCENARIO.md."
                    )
                }
            }
        } else {
            lines.append("What the check observed:")
            for finding in outcome.findings {
                let seen = hintsShown[finding.problem.id] ?? 0
                lines.append("  ✗ \(finding.problem.title): \(finding.message)")
                if FrontEnd.current == .panel {
                    lines.append(
                        seen >= 3
                            ? "      You have seen all 3 hints for this one: they are in the Hints box."
                            : "      Stuck? Its Show next hint button (under the verdict) gives hint \(seen + 1) of 3."
                    )
                } else {
                    lines.append(
                        seen >= 3
                            ? "      You have seen all 3 hints for this one: ./lab hint \(n) --all shows them again."
                            : "      Stuck? ./lab hint \(n) gives hint \(seen + 1) of 3 for it."
                    )
                }
            }
        }
        if !outcome.idleInstances.isEmpty {
            lines.append(
                "  ✗ not every instance took its share of the load (\(outcome.idleInstances.joined(separator: "; "))): the load balancer "
                    + "sends (almost) nothing there, so the check cannot see how the scenario behaves with several instances. "
                    + "Did the load balancer's configuration change (sticky sessions send a user to the same instance every time)?"
            )
        }
        if let note = outcome.busyMachineNote { lines.append("\n" + note) }
        lines.append("")
        if outcome.passed {
            lines.append("✓ PASS: every target met, and none of the known problems observed.")
        } else {
            let missed = outcome.targetsMet ? "every target met" : "a target is missed"
            let problems = outcome.findings.count + (outcome.idleInstances.isEmpty ? 0 : 1)
            lines.append("✗ NOT YET: \(missed), \(problems) problem\(problems == 1 ? "" : "s") observed.")
        }
        return lines.joined(separator: "\n")
    }

    /// One target of lab.json against what a load measured: a line of `./lab check`, a card of the panel.
    public struct TargetCard: Codable, Sendable, Equatable {
        /// `p99 ≤ 250 ms`, or `journey "review": success ≥ 99.9%` for a target of one endpoint or journey.
        public var label: String
        public var measured: String
        public var met: Bool
    }

    /// Every target the scenario sets (overall, per endpoint, per journey), evaluated on `result`.
    /// - Parameter slowness: scales every target for a slower machine (the lesson tests'); 1 for a learner.
    public static func targetCards(_ result: LoadResult, scenario: Scenario, slowness: Double = 1) -> [TargetCard] {
        var cards: [TargetCard] = []
        func add(_ check: LoadTargets.Check, of endpoint: String? = nil) {
            cards.append(TargetCard(label: (endpoint.map { "\($0): " } ?? "") + check.target, measured: check.measured, met: check.passed))
        }
        for check in scenario.manifest.targets.scaled(bySlowness: slowness).evaluate(result.totals) { add(check) }
        for endpoint in result.endpoints {
            for check in endpoint.targets?.scaled(bySlowness: slowness).evaluate(endpoint.counts) ?? [] { add(check, of: endpoint.name) }
        }
        for journey in result.journeys ?? [] {
            for check in journey.targets?.scaled(bySlowness: slowness).evaluate(journey.counts) ?? [] {
                add(check, of: "journey \"\(journey.name)\"")
            }
        }
        return cards
    }

    /// Printed after each pass of the learner's own server: where the reference solution is (with a 🎉 the
    /// first time), and their numbers next to it once the reference has been measured here.
    public static func reveal(scenario: Scenario, yours: LearnerProgress.Numbers, reference: LearnerProgress.Numbers?, first: Bool) -> String {
        var lines = [
            first
                ? "🎉 First pass of scenario \(scenario.number)! The reference solution is yours to read now:"
                : "Passed again. The reference solution, to compare with yours:",
            "     \(scenario.folderName)/Sources/server-fixed/  (every change to the code explained in comments)",
        ]
        if let fix = scenario.manifest.fix { lines.append("     \(scenario.folderName)/\(fix)  (the database changes, each explained)") }
        for (file, fixed) in (scenario.manifest.fixedConfigs ?? [:]).sorted(by: { $0.key < $1.key }) {
            lines.append("     \(scenario.folderName)/\(fixed)  (the reference's \(file), each change explained)")
        }
        if first { lines.append("   Compare it with what you did, then answer the Reflect questions of SCENARIO.md.") }
        lines.append("")
        if let reference {
            lines.append(Self.sideBySide(yours: yours, reference: reference))
        } else {
            let n = scenario.number
            lines.append("   To see the reference's numbers next to yours, check it on this machine: stop your server (Ctrl-C in")
            lines.append("   its terminal, or ./lab stop \(n) if it runs in the background), then")
            lines.append("     ./lab start \(n) --fixed; ./lab check \(n); ./lab stop \(n)")
            if scenario.manifest.fix != nil {
                lines.append("   (with your database as it is: the reference's own indexes are in \(scenario.manifest.fix!))")
            }
            for (file, fixed) in (scenario.manifest.fixedConfigs ?? [:]).sorted(by: { $0.key < $1.key }) {
                lines.append("   (with your \(file) as it is: the reference's own is \(fixed))")
            }
            lines.append("   and start yours again with ./lab up \(n).")
        }
        return lines.joined(separator: "\n")
    }

    /// The learner's best numbers and the reference's, in two columns.
    public static func sideBySide(yours: LearnerProgress.Numbers, reference: LearnerProgress.Numbers) -> String {
        func row(_ label: String, _ you: String, _ ref: String) -> String {
            "     " + label.padding(toLength: 14, withPad: " ", startingAt: 0) + you.padding(toLength: 14, withPad: " ", startingAt: 0) + ref
        }
        return [
            "   Your best numbers and the reference's, both measured on this machine:",
            row("", "you", "reference"),
            row("throughput", "\(Int(yours.requestsPerSecond.rounded())) req/s", "\(Int(reference.requestsPerSecond.rounded())) req/s"),
            row("p99", yours.p99Text, reference.p99Text),
            row("success", String(format: "%.2f%%", yours.successRate), String(format: "%.2f%%", reference.successRate)),
        ].joined(separator: "\n")
    }

    /// The numbers progress keeps from one check.
    public static func numbers(_ outcome: LearnerCheck.Outcome, at date: Date = Date()) -> LearnerProgress.Numbers {
        LearnerProgress.Numbers(
            requestsPerSecond: outcome.result.totals.requestsPerSecond,
            p99Milliseconds: outcome.result.totals.latency.p99,
            successRate: outcome.result.totals.successRate,
            measuredAt: date,
            passed: outcome.passed,
            p99Unanswered: outcome.result.totals.latency.isUnanswered(.p99)
        )
    }
}
