import Foundation
import LabKit
import LabTesting
import LoadTestKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Scenario 06's lesson, proven with the real instances, HAProxy and PostgreSQL under the standard load (100
/// users): the naive setup (`server` + `haproxy.cfg`) shows each of the five problems and the reference
/// (`server-fixed` + `haproxy.fixed.cfg`) none (CheckTests.swift); here, the obvious half-fixes miss, a retried
/// POST is saved twice, and keep-alive's cost is measured. Every fault is real: SIGSTOP, a PostgreSQL role that
/// may no longer log in, SIGTERM during a rolling restart.
@Suite("Scenario 06 lesson (integration: PostgreSQL, HAProxy, real load)", .serialized)
struct LessonTests {
    @Test("half-fixes miss: leastconn alone, short timeouts alone, the balancer without the server's drain, retries without ejection")
    func halfFixes() async throws {
        let lesson = try Lesson(scenarioNumber: "06", file: #filePath)
        try await lesson.prepare()

        // Least-connections alone: with 100 users always waiting it evens out the requests each instance holds,
        // so c (a pool of 1) still queues its share inside. maxconn is what moves the queue into HAProxy.
        let leastconn = try Self.variant(lesson, "leastconn-only", from: "haproxy.cfg") {
            $0.replacingOccurrences(of: "balance roundrobin", with: "balance leastconn")
        }
        let slow = try await leastconn.measure("server", label: "leastconn alone", seconds: 10) { () }
        let cWait = MetricSelector(name: "db_pool_wait_seconds", labels: ["instance": "c"], quantile: 0.99, scale: 1000)
        let waited = try #require(slow.server.flatMap(cWait.value(in:)))
        // (Its p99, 300 to 547 ms measured, is not compared with the target: it scales with the machine's speed.)
        #expect(waited > 50, "c's requests waited \(waited) ms (p99) for a connection")

        // Short timeouts alone: requests stuck on the paused instance now fail after 3 s instead of waiting, but
        // they still fail: nothing sends them elsewhere, and the default health check takes 6 s to give up on b.
        let timeouts = try Self.variant(lesson, "timeouts-only", from: "haproxy.cfg") {
            $0.replacingOccurrences(of: "timeout connect 5s", with: "timeout connect 1s")
                .replacingOccurrences(of: "timeout server 50s", with: "timeout server 3s")
        }
        let paused = try await timeouts.withServer("server") {
            try await Self.fault(timeouts, InstanceFault(kind: .pause, instance: "b", seconds: 6))
        }
        say(paused.render())
        #expect(paused.failedPercent > 0.1, "\(paused.failedPercent)% failed while b was paused")

        // The balancer fixed, the server not: HAProxy asks /health (the naive server has no /ready), so a
        // server that lost its database still looks healthy (errors in real traffic take it out, the health
        // check brings it back), and the naive server dies on SIGTERM with requests in flight. Neither a POST
        // answered 503 nor one cut off that way is retried (it may have been saved): the scan journeys, half
        // POSTs, make both certain (with the whole mix the cut cost 0.13% to 0.36%, too close to 0.1% to prove).
        let balancerOnly = try Self.variant(lesson, "balancer-only") { $0.replacingOccurrences(of: "GET /ready", with: "GET /health") }
        let (cut, deploy) = try await balancerOnly.withServer("server") {
            (
                try await Self.fault(balancerOnly, InstanceFault(kind: .cutDatabase, instance: "a", seconds: 6), only: ["scan"]),
                try await Self.fault(balancerOnly, InstanceFault(kind: .deploy), only: ["scan"])
            )
        }
        say(cut.render() + "\n" + deploy.render())
        #expect(cut.failedPercent > 0.1, "\(cut.failedPercent)% failed while a could not reach its database")
        #expect(deploy.failed > 0, "a deploy of the naive server, which dies on SIGTERM")

        // Retries without ejecting the instance: leastconn sends the retry to the fastest instance, and the
        // fastest is the one failing at once.
        let retriesOnly = try Self.variant(lesson, "retries-only") {
            $0.replacingOccurrences(of: "GET /ready", with: "GET /health").replacingOccurrences(
                of: " observe layer7 error-limit 3 on-error mark-down",
                with: ""
            )
        }
        let retried = try await retriesOnly.withServer("server") {
            try await Self.fault(retriesOnly, InstanceFault(kind: .cutDatabase, instance: "a", seconds: 6))
        }
        say(retried.render())
        #expect(retried.failedPercent > 1, "\(retried.failedPercent)% failed")
    }

    @Test("a retried POST is saved twice: with POSTs retried on a timeout, a pause of b duplicates scans; the reference never does")
    func retriedPost() async throws {
        let lesson = try Lesson(scenarioNumber: "06", file: #filePath)
        try await lesson.prepare()
        let retryingPosts = try Self.variant(lesson, "retrying-posts") {
            $0.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("http-request disable-l7-retry") }.joined(
                separator: "\n"
            )
        }
        let reference = try Self.reference(lesson)
        var duplicated: [Int] = []
        for setup in [retryingPosts, reference] {
            let before = try await Self.savedTwice(lesson)
            let outcome = try await setup.withServer("server-fixed") {
                // Only the scan journeys: half the requests are POSTs, so some are waiting on b when it stops.
                try await Self.fault(setup, InstanceFault(kind: .pause, instance: "b", seconds: 6), only: ["scan"])
            }
            try await Task.sleep(for: .seconds(1))  // b, resumed, finishes what it had
            duplicated.append(try await Self.savedTwice(lesson) - before)
            say(outcome.render() + " Scans saved twice: \(duplicated.last ?? 0).")
        }
        #expect(duplicated[0] > 0, "POSTs retried after a timeout: the paused instance saved them too once it resumed")
        #expect(duplicated[1] == 0, "the reference never retries a POST that reached an instance")
    }

    @Test("keep-alive: HAProxy opens a connection per request with http-server-close, a handful without; its cost measured")
    func keepAlive() async throws {
        let lesson = try Lesson(scenarioNumber: "06", file: #filePath)
        try await lesson.prepare()
        // The same server and balancer settings but for the connection to the instances: the reference
        // (keep-alive), then with option http-server-close put back. Keep-alive first: the closed
        // connections of the other run wait 60 s in TIME_WAIT and would be counted again.
        let closing = try Self.variant(lesson, "server-close") {
            $0.replacingOccurrences(of: "    http-reuse safe", with: "    option http-server-close")
        }
        var rows: [KeepAliveRow] = []
        for (label, setup) in [("keep-alive", try Self.reference(lesson)), ("http-server-close", closing)] {
            rows.append(try await setup.withServer("server-fixed") { try await Self.measureConnections(setup, label: label) })
        }
        say(
            "Connections from HAProxy to the instances, 6 s of the standard load each:\n"
                + rows.map {
                    String(
                        format:
                            "  %@ %6.1f new connections per 100 requests, %6d sockets left in TIME_WAIT, %.0f req/s, %.1f ms of CPU per 100 requests (instances + HAProxy)",
                        $0.label.padding(toLength: 18, withPad: " ", startingAt: 0),
                        $0.newPerHundred,
                        $0.timeWait,
                        $0.requestsPerSecond,
                        $0.cpuMillisecondsPerHundred
                    )
                }.joined(separator: "\n")
        )
        let (kept, closed) = (rows[0], rows[1])
        #expect(kept.newPerHundred < 1, "keep-alive: \(kept.newPerHundred) new connections per 100 requests")
        #expect(closed.newPerHundred > 90, "http-server-close: \(closed.newPerHundred) new connections per 100 requests")
        #expect(closed.timeWait > 20 * max(kept.timeWait, 50), "TIME_WAIT: \(closed.timeWait) against \(kept.timeWait)")
        #expect(closed.cpuMillisecondsPerHundred > kept.cpuMillisecondsPerHundred, "CPU per request")
    }

    struct KeepAliveRow: Sendable {
        var label: String
        var newPerHundred: Double
        var timeWait: Int
        var requestsPerSecond: Double
        var cpuMillisecondsPerHundred: Double
    }

    /// 6 s of the standard load against what runs now: HAProxy's new connections per 100 requests (its own
    /// counters), the sockets left in TIME_WAIT, and the CPU the instances and HAProxy used.
    static func measureConnections(_ setup: Lesson, label: String) async throws -> KeepAliveRow {
        let haproxy = try #require(try ScenarioServices(scenario: setup.scenario, paths: setup.paths).all.compactMap { $0 as? HAProxyService }.first)
        let pids = setup.scenario.allInstances.compactMap { PortOwner.pid(listeningOn: $0.port) } + [haproxy.process.running()?.pid].compactMap { $0 }
        #expect(pids.count == 4, "3 instances and HAProxy")
        let timeWaitBefore = try Self.timeWaitToInstances()
        let cpuBefore = pids.map(Self.cpuSeconds).reduce(0, +)
        let before = try #require(await haproxy.metrics())
        var plan = try await setup.scenario.loadPlan(database: setup.database)
        plan.durationSeconds = 6
        let result = try await LoadGenerator.run(plan)
        let after = try #require(await haproxy.metrics())
        let cpu = pids.map(Self.cpuSeconds).reduce(0, +) - cpuBefore
        let backend = ["proxy": "instances"]
        let ratio = MetricRatio(
            of: MetricSelector(name: "haproxy_backend_connection_attempts_total", labels: backend),
            to: MetricSelector(name: "haproxy_backend_http_requests_total", labels: backend),
            scale: 100
        )
        let newPerHundred = try #require(ratio.value(in: ServerMetricsSummary(before: before, after: after, peakInUse: 0, peakWaiting: 0)))
        return KeepAliveRow(
            label: label,
            newPerHundred: newPerHundred,
            // Sockets of an earlier run expire meanwhile: never below zero.
            timeWait: max(0, try Self.timeWaitToInstances() - timeWaitBefore),
            requestsPerSecond: result.totals.requestsPerSecond,
            cpuMillisecondsPerHundred: cpu * 1000 / Double(max(result.totals.sent, 1)) * 100
        )
    }

    // MARK: - Helpers

    /// The lesson with HAProxy started from `file` edited by `edit` (written under `.lab/lesson-06/`).
    static func variant(_ lesson: Lesson, _ name: String, from file: String = "haproxy.fixed.cfg", _ edit: (String) -> String) throws -> Lesson {
        let text = edit(try String(contentsOf: lesson.scenario.file(file), encoding: .utf8))
        let folder = lesson.paths.state.appendingPathComponent("lesson-06")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try text.write(to: folder.appendingPathComponent("\(name).cfg"), atomically: true, encoding: .utf8)
        var scenario = lesson.scenario
        let haproxy = try #require(scenario.manifest.services?.firstIndex { $0.kind == HAProxyService.kind })
        // Relative to the scenario folder, as lab.json's paths are.
        scenario.manifest.services?[haproxy].config = "../.lab/lesson-06/\(name).cfg"
        return Lesson(scenario: scenario, paths: lesson.paths)
    }

    /// The reference: HAProxy with haproxy.fixed.cfg (``Scenario/Manifest/fixedConfigs``).
    static func reference(_ lesson: Lesson) throws -> Lesson {
        var scenario = lesson.scenario
        let haproxy = try #require(scenario.manifest.services?.firstIndex { $0.kind == HAProxyService.kind })
        scenario.manifest.services?[haproxy].config = try #require(scenario.manifest.fixedConfigs?["haproxy.cfg"])
        return Lesson(scenario: scenario, paths: lesson.paths)
    }

    /// `fault` under the standard load (or only these journeys), against what runs now.
    static func fault(_ lesson: Lesson, _ fault: InstanceFault, only: [String] = []) async throws -> InstanceFault.Outcome {
        var plan = try await lesson.scenario.loadPlan(database: lesson.database)
        if !only.isEmpty { plan = plan.keepingOnly(only) }
        return try await fault.run(scenario: lesson.scenario, paths: lesson.paths, plan: plan)
    }

    /// Scan notes (each journey's is unique) saved more than once.
    static func savedTwice(_ lesson: Lesson) async throws -> Int {
        let rows = try await lesson.database.strings(
            "SELECT count(*)::text FROM (SELECT note FROM scans WHERE id > 10000000 GROUP BY note HAVING count(*) > 1) AS twice",
            on: lesson.scenario
        )
        return Int(rows.first ?? "0") ?? 0
    }

    /// Sockets in TIME_WAIT on either side of a connection to an instance: whoever closes first keeps one for 60 s (with
    /// http-server-close HAProxy asks the instance to close, so they are on the instances' side).
    static func timeWaitToInstances() throws -> Int {
        let output = try Shell.capture([
            "ss", "-Htan", "state", "time-wait",
            "( sport = :8081 or sport = :8082 or sport = :8083 or dport = :8081 or dport = :8082 or dport = :8083 )",
        ])
        return output.text.split(separator: "\n").count
    }

    /// CPU seconds (user + system) a process used so far, from /proc/PID/stat.
    static func cpuSeconds(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14, stime 15 (1-based), so 11 and 12 here.
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return 0 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}
