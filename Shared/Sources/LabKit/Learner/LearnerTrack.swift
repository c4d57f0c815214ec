import Foundation

/// `./lab progress`: the track with the learner's state of each scenario, and what to do next.
public enum LearnerTrack {
    public static func render(progress: LearnerProgress, builtScenarios: [Scenario]) -> String {
        var lines = ["Track 1: from junior to mid   (✓ passed · … started · ○ not started · 🔒 not built yet)"]
        var tier = ""
        var firstStarted: String?
        var firstNotStarted: String?
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        for entry in Curriculum.track1 {
            if entry.tier != tier {
                tier = entry.tier
                lines.append("  \(tier)")
            }
            let number = String(format: "%02d", entry.number)
            let title = "\(number) \(entry.title)".padding(toLength: 44, withPad: " ", startingAt: 0)
            guard builtScenarios.contains(where: { $0.number == number }) else {
                lines.append("    🔒 \(title)not built yet")
                continue
            }
            let state = progress.scenarios[number]
            if let passed = state?.firstPass {
                var detail = "passed \(day.string(from: passed))"
                if let best = state?.best {
                    detail += ", best \(Int(best.requestsPerSecond.rounded())) req/s, p99 \(best.p99Text)"
                }
                lines.append("    ✓ \(title)\(detail)")
            } else if let state, state.started != nil || state.checks != nil {
                let checks = state.checks ?? 0
                let hints = (state.hintsShown ?? [:]).values.reduce(0, +)
                lines.append("    … \(title)started, \(checks) check\(checks == 1 ? "" : "s"), \(hints) hint\(hints == 1 ? "" : "s") used")
                firstStarted = firstStarted ?? number
            } else {
                lines.append("    ○ \(title)not started")
                firstNotStarted = firstNotStarted ?? number
            }
        }
        lines.append("")
        if let number = firstStarted {
            lines.append("Next: carry on with scenario \(number): ./lab up \(number), then ./lab check \(number).")
        } else if let number = firstNotStarted {
            lines.append("Next: scenario \(number): ./lab up \(number), and read its SCENARIO.md.")
        } else {
            lines.append("Every scenario built so far is passed. More are on the way.")
        }
        return lines.joined(separator: "\n")
    }
}
