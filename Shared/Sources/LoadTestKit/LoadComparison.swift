/// Two saved results side by side (`loadtest compare before.json after.json`): the before/after table a
/// learner would otherwise fill in by hand.
public enum LoadComparison {
    public static func render(before: LoadResult, after: LoadResult, beforeName: String = "before", afterName: String = "after") -> String {
        let b = before.totals
        let a = after.totals
        var lines: [String] = []
        lines.append("  " + pad("", 26) + padLeft(beforeName, 14) + padLeft(afterName, 14) + "   change")
        func line(_ label: String, _ before: String, _ after: String, _ change: String) {
            lines.append("  " + pad(label, 26) + padLeft(before, 14) + padLeft(after, 14) + "   " + change)
        }
        line(
            "Throughput (succeeded/s)",
            format(b.requestsPerSecond, digits: 0),
            format(a.requestsPerSecond, digits: 0),
            ratio(b.requestsPerSecond, a.requestsPerSecond, higherIsBetter: true)
        )
        line("Success rate", format(b.successRate, digits: 2) + "%", format(a.successRate, digits: 2) + "%", points(b.successRate, a.successRate))
        line("Failed requests", count(b.failed), count(a.failed), "")
        line("  timed out", count(b.timeouts), count(a.timeouts), "")
        line("  connection errors", count(b.connectionErrors), count(a.connectionErrors), "")
        line("  error responses", count(b.httpErrorCount), count(a.httpErrorCount), "")
        if b.wrongAnswers > 0 || a.wrongAnswers > 0 {
            line("  wrong data (a 200)", count(b.wrongAnswers), count(a.wrongAnswers), "stale or missing")
        }
        for (label, percentile) in [
            ("Latency p50", LoadResult.Latency.Percentile.p50), ("Latency p90", .p90), ("Latency p99", .p99), ("Latency max", .max),
        ] {
            let change =
                switch (b.latency.isUnanswered(percentile), a.latency.isUnanswered(percentile)) {
                case (false, false): ratio(b.latency[percentile], a.latency[percentile], higherIsBetter: false)
                case (true, false): "answered now"
                case (false, true): "no answer now"
                case (true, true): ""
                }
            line(label, b.latency.text(percentile), a.latency.text(percentile), change)
        }
        let journeys = (after.journeys ?? []).compactMap { journey in
            before.journeys?.first { $0.name == journey.name }.map { (before: $0, after: journey) }
        }
        if !journeys.isEmpty {
            lines.append("  Journeys that succeeded:")
            for pair in journeys {
                line(
                    "  " + pair.after.name,
                    format(pair.before.counts.successRate, digits: 2) + "%",
                    format(pair.after.counts.successRate, digits: 2) + "%",
                    points(pair.before.counts.successRate, pair.after.counts.successRate)
                )
            }
        }
        if before.users != after.users || before.durationSeconds != after.durationSeconds {
            lines.append("")
            lines.append(
                "Note: the runs used different loads (\(before.users) users/\(format(before.durationSeconds, digits: 0)) s vs "
                    + "\(after.users) users/\(format(after.durationSeconds, digits: 0)) s); compare with care."
            )
        }
        return lines.joined(separator: "\n")
    }

    /// "12.3× better" / "2.0× worse" / "same".
    static func ratio(_ before: Double, _ after: Double, higherIsBetter: Bool) -> String {
        guard before > 0, after > 0 else { return "" }
        let factor = higherIsBetter ? after / before : before / after
        if abs(factor - 1) < 0.05 { return "about the same" }
        return factor > 1 ? "\(format(factor, digits: 1))× better" : "\(format(1 / factor, digits: 1))× worse"
    }

    static func points(_ before: Double, _ after: Double) -> String {
        let delta = after - before
        if abs(delta) < 0.005 { return "same" }
        return (delta > 0 ? "+" : "") + format(delta, digits: 2) + " points"
    }
}
