import Foundation
import HTTPTypes
import LabKit
import LabPanel
import LoadTestKit
import Testing

@Suite("Panel parts: the side-by-side diff, the live graphs' numbers, the chart of runs")
struct PartsTests {
    @Test("the diff pairs changed lines, marks added and removed ones, and folds long unchanged runs")
    func diff() {
        let old = (1...20).map { "line \($0)" }
        var new = old
        new[9] = "line 10, changed"
        new.insert("added", at: 15)
        new.remove(at: 2)
        let rows = SideBySideDiff.rows(old: old, new: new, context: 2)
        #expect(rows.contains { $0.change == .changed && $0.left == "line 10" && $0.right == "line 10, changed" })
        #expect(rows.contains { $0.change == .added && $0.right == "added" })
        #expect(rows.contains { $0.change == .removed && $0.left == "line 3" })
        #expect(rows.contains { $0.change == .folded })
        #expect(SideBySideDiff.rows(old: old, new: old).allSatisfy { $0.change != .changed && $0.change != .added })
    }

    @Test("live graphs: requests/s, p99, errors, pool and each cache's hit ratio from two reads of /metrics")
    func live() async {
        func metrics(requests: Double, errors: Double, fastBucket: Double, hits: Double, misses: Double) -> ServerMetrics {
            ServerMetrics(samples: [
                .init(name: "http_requests_total", labels: ["route": "/users", "status": "200"], value: requests),
                .init(name: "http_requests_total", labels: ["route": "/users", "status": "503"], value: errors),
                .init(name: "http_requests_total", labels: ["route": "/metrics", "status": "200"], value: 1000),
                .init(name: "http_request_duration_seconds_bucket", labels: ["route": "/users", "le": "0.01"], value: fastBucket),
                .init(name: "http_request_duration_seconds_bucket", labels: ["route": "/users", "le": "1"], value: requests + errors),
                .init(name: "http_request_duration_seconds_bucket", labels: ["route": "/users", "le": "+Inf"], value: requests + errors),
                .init(name: "db_pool_connections_in_use", value: 7),
                .init(name: "cache_requests_total", labels: ["cache": "trending", "result": "hit"], value: hits),
                .init(name: "cache_requests_total", labels: ["cache": "trending", "result": "miss"], value: misses),
            ])
        }
        let sampler = LiveSampler(interval: .seconds(1))
        let scenario = try! Scenario.find("05", in: PanelHarness.repository)
        _ = await sampler.graphs(for: scenario)
        let before = metrics(requests: 100, errors: 0, fastBucket: 100, hits: 0, misses: 0)
        let after = metrics(requests: 300, errors: 20, fastBucket: 300, hits: 90, misses: 10)
        await sampler.add(metrics: after, previous: before, dt: 2, at: Date())
        let graphs = await sampler.graphs(for: scenario)
        func value(_ name: String) -> Double? { graphs.first { $0.name == name }?.points.last?.v }
        #expect(value("Requests per second") == 110)
        #expect(value("Errors per second (5xx)") == 10)
        #expect(value("Database connections in use") == 7)
        #expect(value("Cache \"trending\" hit ratio") == 90)
        // 20 of 220 took more than 10 ms: the p99 lies in the (0.01, 1] bucket.
        #expect((value("p99 response time") ?? 0) > 10)
    }

    @Test("the chart of the learner's checks: one bar each, pass or not, and the throughput target")
    func runsChart() {
        let day = Date()
        let history: [LearnerProgress.Numbers] = [
            .init(requestsPerSecond: 40, p99Milliseconds: 5000, successRate: 61, measuredAt: day, passed: false),
            .init(requestsPerSecond: 1650, p99Milliseconds: 88, successRate: 100, measuredAt: day, passed: true),
        ]
        let svg = RunsChart.svg(history: history, targets: .init(minSuccessRate: 99.9, maxP99Milliseconds: 250, minRequestsPerSecond: 500))
        #expect(svg.components(separatedBy: "<rect").count == 3)
        #expect(svg.contains("bar-fail") && svg.contains("bar-pass"))
        #expect(svg.contains("target 500 req/s"))
        #expect(RunsChart.svg(history: [], targets: .init()).contains("Your checks will show here"))
    }
}
