import Foundation
import LabKit
import LoadTestKit

/// The chart of the learner's own checks over time (progress `history`): throughput as bars, each marked pass
/// or not, with the throughput target as a line. Drawn here as SVG, so it needs no script and no library.
public enum RunsChart {
    public static func svg(history: [LearnerProgress.Numbers], targets: LoadTargets) -> String {
        guard !history.isEmpty else {
            return "<p class=\"muted\">Your checks will show here, one bar each: before and after your fixes.</p>"
        }
        let runs = history.suffix(30)
        let (width, height, pad) = (320.0, 120.0, 18.0)
        let top = max(runs.map(\.requestsPerSecond).max() ?? 1, targets.minRequestsPerSecond ?? 0, 1) * 1.1
        // One bar per check, at most 40 units wide (a single check is a bar, not a floor).
        let step = min(40, (width - 2 * pad) / Double(runs.count))
        var parts: [String] = []
        for (index, run) in runs.enumerated() {
            // A failing check can be a few req/s: at least 3 px, so it reads as a bar, not as nothing.
            let barHeight = max(3, (height - 2 * pad) * run.requestsPerSecond / top)
            let x = pad + Double(index) * step + step * 0.15
            let y = height - pad - barHeight
            let passed = run.passed == true
            let label =
                "\(Int(run.requestsPerSecond.rounded())) req/s, p99 \(run.p99Text), \(String(format: "%.2f", run.successRate))% OK, \(passed ? "passed" : "not yet")"
            parts.append(
                "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(step * 0.7))\" height=\"\(f(barHeight))\" class=\"\(passed ? "bar-pass" : "bar-fail")\"><title>\(label)</title></rect>"
            )
        }
        // Each bar's number above it, while they fit.
        if runs.count <= 12 {
            for (index, run) in runs.enumerated() {
                let x = pad + Double(index) * step + step * 0.5
                let y = height - pad - max(3, (height - 2 * pad) * run.requestsPerSecond / top) - 2
                parts.append("<text x=\"\(f(x))\" y=\"\(f(y))\" class=\"bar-label\">\(Int(run.requestsPerSecond.rounded()))</text>")
            }
        }
        // The target over the bars, its label at the left edge with a halo so no bar hides it.
        if let target = targets.minRequestsPerSecond {
            let y = height - pad - (height - 2 * pad) * target / top
            parts.append("<line x1=\"\(f(pad))\" x2=\"\(f(width - pad))\" y1=\"\(f(y))\" y2=\"\(f(y))\" class=\"target-line\"/>")
            parts.append("<text x=\"\(f(pad + 2))\" y=\"\(f(y - 3))\" class=\"chart-label\">target \(Int(target)) req/s</text>")
        }
        parts.append("<text x=\"\(f(pad))\" y=\"\(f(height - 4))\" class=\"chart-label\">oldest</text>")
        parts.append("<text x=\"\(f(width - pad))\" y=\"\(f(height - 4))\" text-anchor=\"end\" class=\"chart-label\">latest</text>")
        let summary = runs.map { "\(Int($0.requestsPerSecond.rounded()))" }.joined(separator: ", ")
        return "<svg class=\"runs-chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Your checks, req/s: \(summary)\">"
            + parts.joined() + "</svg>"
    }

    private static func f(_ value: Double) -> String { String(format: "%.1f", value) }
}
