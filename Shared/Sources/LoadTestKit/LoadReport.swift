/// Renders a ``LoadResult`` as the plain-English summary printed at the end of a load test.
public enum LoadReport {
    /// The summary table, the per-request breakdown (when the mix has more than one kind) and the verdict.
    /// - Parameter serverSide: extra lines shown before the verdict (what the server's own metrics saw).
    public static func render(_ result: LoadResult, targets: LoadTargets, serverSide: String? = nil) -> String {
        let totals = result.totals
        var lines: [String] = []
        lines.append(
            "Results: \(result.users) users for \(format(result.durationSeconds, digits: 0)) s against \(result.url) "
                + "(timeout \(format(result.timeoutSeconds, digits: 1)) s)"
        )
        if let sources = result.sourceAddresses { lines.append("Users came from \(sources)") }
        lines.append("")
        let journeys = result.journeys ?? []
        lines.append(row("Requests sent", count(totals.sent)))
        lines.append(row("Throughput (succeeded)", "\(format(totals.requestsPerSecond, digits: 0)) req/s"))
        lines.append(
            row(
                journeys.isEmpty ? "Succeeded (2xx)" : "Answered as expected",
                "\(count(totals.succeeded))  (\(format(totals.successRate, digits: 2))% of sent)"
            )
        )
        lines.append(row("Failed", count(totals.failed)))
        lines.append(row("  timed out (> \(format(result.timeoutSeconds, digits: 1)) s)", count(totals.timeouts)))
        lines.append(row("  connection errors", count(totals.connectionErrors)))
        let statuses = totals.httpErrors.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", ")
        lines.append(row(journeys.isEmpty ? "  error responses" : "  unexpected status", statuses.isEmpty ? "0" : statuses))
        for (status, example) in totals.errorExamples.sorted(by: { $0.key < $1.key }) {
            lines.append("      the first \(status) said: \(example)")
        }
        if !journeys.isEmpty { lines.append(row("  wrong data (stale or missing)", count(totals.wrongAnswers))) }
        let inFlight = totals.sent - totals.succeeded - totals.timeouts - totals.connectionErrors - totals.httpErrorCount - totals.wrongAnswers
        if inFlight > 0 { lines.append(row("  never answered", count(inFlight))) }
        lines.append("")
        lines.append("How long users waited (a request with no answer, timed out or not connected, ranks above every answer):")
        lines.append(row("  p50 (typical user)", totals.latency.text(.p50)))
        lines.append(row("  p90", totals.latency.text(.p90)))
        lines.append(row("  p99 (slowest 1 in 100)", totals.latency.text(.p99)))
        lines.append(row("  max", totals.latency.text(.max)))
        if !journeys.isEmpty {
            lines.append("")
            lines += self.journeyLines(result)
        } else if result.endpoints.count > 1 {
            lines.append("")
            lines.append("By request:")
            lines.append(
                "  " + pad("request", 28) + padLeft("sent", 9) + padLeft("req/s", 9) + padLeft("success", 10) + padLeft("p50", 11)
                    + padLeft("p99", 11)
            )
            for endpoint in result.endpoints {
                let c = endpoint.counts
                lines.append(
                    "  " + pad(endpoint.name, 28) + padLeft(count(c.sent), 9) + padLeft(format(c.requestsPerSecond, digits: 0), 9)
                        + padLeft(format(c.successRate, digits: 2) + "%", 10) + padLeft(c.latency.text(.p50), 11) + padLeft(c.latency.text(.p99), 11)
                )
            }
        }
        if let serverSide {
            lines.append("")
            lines.append(serverSide)
        }
        let graded =
            result.endpoints.compactMap { endpoint in endpoint.targets.map { (endpoint.name, endpoint.counts, $0) } }
            + journeys.compactMap { journey in journey.targets.map { (journey.name, journey.counts, $0) } }
        if !graded.isEmpty {
            lines.append("")
            lines.append("Verdict per \(journeys.isEmpty ? "endpoint" : "journey") (🟢 met · 🟠 close: within 2× · 🔴 far off):")
            for (name, counts, gradedTargets) in graded {
                let grade = gradedTargets.grade(counts)
                let symbol = grade == .green ? "🟢" : grade == .amber ? "🟠" : "🔴"
                let details = gradedTargets.evaluate(counts).map { "\($0.passed ? "✓" : "✗") \($0.target) (\($0.measured))" }
                lines.append("  \(symbol) " + pad(name, 28) + details.joined(separator: "   "))
            }
        }
        let checks = targets.evaluate(totals)
        if !checks.isEmpty {
            lines.append("")
            lines.append("Verdict against the scenario's targets:")
            for check in checks {
                lines.append("  \(check.passed ? "✓" : "✗") " + pad(check.target, 30) + " measured \(check.measured)")
            }
        }
        if !checks.isEmpty || !graded.isEmpty {
            let missed = checks.filter { !$0.passed }.count
            let endpointsMissed = graded.filter { $0.2.grade($0.1) != .green }.count
            var misses: [String] = []
            if missed > 0 { misses.append("\(missed) of \(checks.count) overall targets missed") }
            let kind = journeys.isEmpty ? "endpoints" : "journeys"
            if endpointsMissed > 0 { misses.append("\(endpointsMissed) of \(graded.count) \(kind) miss their targets") }
            lines.append("")
            lines.append(misses.isEmpty ? "PASS: all targets met." : "FAIL: " + misses.joined(separator: "; ") + ".")
        }
        return lines.joined(separator: "\n")
    }

    /// The journeys table (each journey's success and duration) and the steps table (how many journeys got
    /// to each step, and why they failed there).
    static func journeyLines(_ result: LoadResult) -> [String] {
        var lines = ["Journeys (one fails at its first wrong answer, a 200 with stale or missing data included):"]
        lines.append("  " + pad("journey", 30) + padLeft("started", 9) + padLeft("succeeded", 11) + padLeft("p50", 11) + padLeft("p99", 11))
        for journey in result.journeys ?? [] {
            let c = journey.counts
            lines.append(
                "  " + pad(journey.name, 30) + padLeft(count(c.sent), 9) + padLeft(format(c.successRate, digits: 2) + "%", 11)
                    + padLeft(c.latency.text(.p50), 11) + padLeft(c.latency.text(.p99), 11)
            )
        }
        lines.append("")
        lines.append("By step (reached: journeys that got that far; failed: of those, the ones that stopped there, and why):")
        lines.append("  " + pad("journey › step", 44) + padLeft("reached", 9) + padLeft("failed", 9) + padLeft("p50", 11) + padLeft("p99", 11))
        for journey in result.journeys ?? [] {
            let prefix = "\(journey.name) › "
            for endpoint in result.endpoints where endpoint.name.hasPrefix(prefix) {
                let c = endpoint.counts
                let failed = c.sent == 0 ? 0 : Double(c.failed) / Double(c.sent) * 100
                lines.append(
                    "  " + pad(endpoint.name, 44) + padLeft(count(c.sent), 9) + padLeft(format(failed, digits: 1) + "%", 9)
                        + padLeft(c.latency.text(.p50), 11) + padLeft(c.latency.text(.p99), 11)
                )
                let step = String(endpoint.name.dropFirst(prefix.count))
                for (reason, times) in (journey.failures[step] ?? [:]).sorted(by: { $0.value > $1.value }) {
                    lines.append("      ✗ \(count(times)) × \(reason)")
                }
            }
        }
        return lines
    }

    /// The live progress line printed once a second.
    public static func progressLine(_ progress: LoadGenerator.Progress, durationSeconds: Double) -> String {
        "[\(padLeft(format(progress.elapsedSeconds, digits: 0), 3))/\(format(durationSeconds, digits: 0)) s] "
            + "\(padLeft(format(progress.requestsPerSecond, digits: 0), 6)) req/s   sent \(count(progress.sent))   "
            + "failed \(count(progress.failed))   p99 so far \(progress.p99Unanswered ? "no answer" : ms(progress.p99Milliseconds))"
    }

    static func row(_ label: String, _ value: String) -> String {
        "  " + pad(label, 30) + value
    }
}

extension LoadResult.Latency {
    /// A percentile as reports show it: `12.3 ms`, or `no answer` when it falls among the requests that got none.
    func text(_ percentile: Percentile) -> String {
        self.isUnanswered(percentile) ? "no answer" : ms(self[percentile])
    }
}

/// `1234.5` → `"1234.5"` with a fixed number of decimals, without Foundation's locale-dependent formatting.
func format(_ value: Double, digits: Int) -> String {
    guard value.isFinite else { return "n/a" }
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int(scaled / scale)
    var text = (value < 0 && scaled > 0 ? "-" : "") + String(whole)
    if digits > 0 {
        let fraction = Int(scaled - Double(whole) * scale)
        let fractionText = String(fraction)
        text += "." + String(repeating: "0", count: digits - fractionText.count) + fractionText
    }
    return text
}

/// Milliseconds with a precision that suits the size: `0.42 ms`, `12.3 ms`, `1234 ms`.
func ms(_ value: Double) -> String {
    value < 1 ? "\(format(value, digits: 2)) ms" : value < 100 ? "\(format(value, digits: 1)) ms" : "\(format(value, digits: 0)) ms"
}

/// `12345` → `"12,345"`.
func count(_ value: Int) -> String {
    let digits = Array(String(abs(value)))
    var out = ""
    for (index, digit) in digits.enumerated() {
        if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
        out.append(digit)
    }
    return (value < 0 ? "-" : "") + out
}

func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text + " " : text + String(repeating: " ", count: width - text.count)
}

func padLeft(_ text: String, _ width: Int) -> String {
    text.count >= width ? " " + text : String(repeating: " ", count: width - text.count) + text
}
