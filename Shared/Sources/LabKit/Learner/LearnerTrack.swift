import Foundation

/// The track with the learner's state of each scenario, and what to do next: `./lab progress` prints it, the
/// panel's track page shows the same rows.
public enum LearnerTrack {
    public enum State: String, Sendable {
        case passed, started
        case notStarted = "not started"
        case notBuilt = "not built yet"

        public var symbol: String {
            switch self {
            case .passed: "✓"
            case .started: "…"
            case .notStarted: "○"
            case .notBuilt: "🔒"
            }
        }
    }

    public struct Row: Sendable {
        /// "01".
        public var number: String
        public var title: String
        public var tier: String
        public var state: State
        /// "passed 2026-11-25, best 1650 req/s, p99 88 ms", "started, 2 checks, 1 hint used", "not started".
        public var detail: String

        public init(number: String, title: String, tier: String, state: State, detail: String) {
            (self.number, self.title, self.tier, self.state, self.detail) = (number, title, tier, state, detail)
        }
    }

    /// Track 1's rows, in order.
    public static func rows(progress: LearnerProgress, builtScenarios: [Scenario]) -> [Row] {
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        return Curriculum.track1.map { entry in
            let number = String(format: "%02d", entry.number)
            var row = Row(number: number, title: entry.title, tier: entry.tier, state: .notBuilt, detail: State.notBuilt.rawValue)
            guard builtScenarios.contains(where: { $0.number == number }) else { return row }
            let state = progress.scenarios[number]
            if let passed = state?.firstPass {
                row.state = .passed
                row.detail = "passed \(day.string(from: passed))"
                if let best = state?.best {
                    row.detail += ", best \(Int(best.requestsPerSecond.rounded())) req/s, p99 \(best.p99Text)"
                }
            } else if let state, state.started != nil || state.checks != nil {
                let checks = state.checks ?? 0
                let hints = (state.hintsShown ?? [:]).values.reduce(0, +)
                row.state = .started
                row.detail = "started, \(checks) check\(checks == 1 ? "" : "s"), \(hints) hint\(hints == 1 ? "" : "s") used"
            } else {
                row.state = .notStarted
                row.detail = State.notStarted.rawValue
            }
            return row
        }
    }

    /// The scenario to do next (the first started but not passed, else the first not started), or nil when
    /// every built scenario is passed.
    public static func next(_ rows: [Row]) -> Row? {
        rows.first { $0.state == .started } ?? rows.first { $0.state == .notStarted }
    }

    public static func render(progress: LearnerProgress, builtScenarios: [Scenario]) -> String {
        var lines = ["Track 1: from junior to mid   (✓ passed · … started · ○ not started · 🔒 not built yet)"]
        var tier = ""
        let rows = self.rows(progress: progress, builtScenarios: builtScenarios)
        for row in rows {
            if row.tier != tier {
                tier = row.tier
                lines.append("  \(tier)")
            }
            let title = "\(row.number) \(row.title)".padding(toLength: 44, withPad: " ", startingAt: 0)
            lines.append("    \(row.state.symbol) \(title)\(row.detail)")
        }
        lines.append("")
        if let next = self.next(rows) {
            lines.append(
                next.state == .started
                    ? "Next: carry on with scenario \(next.number): ./lab up \(next.number), then ./lab check \(next.number)."
                    : "Next: scenario \(next.number): ./lab up \(next.number), and read its SCENARIO.md."
            )
        } else {
            lines.append("Every scenario built so far is passed. More are on the way.")
        }
        return lines.joined(separator: "\n")
    }
}
