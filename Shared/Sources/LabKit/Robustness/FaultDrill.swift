import Foundation
import LabCore
import LoadTestKit

/// A fault drill: under the scenario's standard load, one real component the server depends on
/// (PostgreSQL, the load balancer, a companion such as the payment provider) is stopped for a few seconds and
/// started again, and the drill reports what users and the server went through.
///
/// What a production engineer expects of any server, naive or fixed, and what `./lab test` asserts for every
/// scenario: no instance crashes; while the component is gone, the answers that fail are 502/503 with a
/// message (never a 500, never silence); once it is back, the server serves again by itself; every request
/// the load tool sent is counted exactly once; and afterwards the pool's gauges are back to zero.
public struct FaultDrill: Sendable {
    public let scenario: Scenario
    public let paths: LabPaths
    public let database: LabDatabase

    public init(scenario: Scenario, paths: LabPaths, database: LabDatabase) {
        self.scenario = scenario
        self.paths = paths
        self.database = database
    }

    /// A component the drill stops and starts: one of the scenario's services.
    public struct Component: Sendable {
        public var name: String
        let stop: @Sendable () async throws -> Void
        let start: @Sendable () async throws -> Void
    }

    /// Every service of the scenario the lab runs itself (not those Docker Compose runs), in `lab.json`'s order.
    public var components: [Component] {
        let services = (try? ScenarioServices(scenario: self.scenario, paths: self.paths).all) ?? []
        return services.filter { !type(of: $0).isExternal }.map { service in
            Component(name: service.name, stop: { _ = await service.stop() }, start: { _ = try await service.start(build: false) })
        }
    }

    /// What one drill saw.
    public struct Report: Sendable {
        public var component: String
        public var product: String
        /// The probe's answers while the component was down: status (0: no answer) → count.
        public var statusesWhileDown: [Int: Int]
        /// Seconds from the restart until the probe got a 200 again; nil if it never did within 30 s.
        public var recoveredAfterSeconds: Double?
        public var load: LoadResult
        /// Everything that went wrong; empty when the drill passed.
        public var problems: [String]
        public var passed: Bool { self.problems.isEmpty }

        /// A few lines for the terminal or a test's log.
        public func render() -> String {
            let statuses = self.statusesWhileDown.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key == 0 ? "no answer" : String($0.key))" }
            let totals = self.load.totals
            var lines = [
                "\(self.product), \(self.component) stopped under load: \(self.passed ? "✓ survived" : "✗ \(self.problems.count) problem(s)")",
                "  while down, a probe got: \(statuses.joined(separator: ", "))",
                "  back to 200 " + (self.recoveredAfterSeconds.map { String(format: "%.1f s after the restart", $0) } ?? "never (30 s)"),
                "  load: \(totals.sent) sent, \(totals.succeeded) succeeded, "
                    + (totals.httpErrors.isEmpty
                        ? "no error status"
                        : "statuses " + totals.httpErrors.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }.joined(separator: ", "))
                    + ", \(totals.timeouts) timeouts, \(totals.connectionErrors) connection errors",
            ]
            lines += self.problems.map { "  ✗ \($0)" }
            return lines.joined(separator: "\n")
        }
    }

    /// Stops `component` for `downtime` while the standard load runs against the running server (which must
    /// already answer on the scenario's port), starts it again, and checks what happened.
    public func run(_ component: Component, product: String, downtime: Duration = .seconds(4), loadSeconds: Double = 12) async throws -> Report {
        let server = ServerProcess(scenario: self.scenario, paths: self.paths)
        let instancesBefore = server.runningInstances()
        // Watch mode's server has no pid file, and watch mode starts a crashed one again: its start time
        // (process_start_time_seconds) tells a crash from survival.
        let instances = self.scenario.allInstances
        let startedBefore = zip(instances, await ServerMetrics.fetch(instances)).compactMap { instance, metrics in
            metrics.map { (instance, $0.sum("process_start_time_seconds")) }
        }
        var plan = try await self.scenario.loadPlan(database: self.database)
        plan.durationSeconds = loadSeconds
        let probe = Self.probePath(plan)
        let port = self.scenario.manifest.port
        let loadPlan = plan
        let load = Task { try await LoadGenerator.run(loadPlan) }
        var statuses: [Int: Int] = [:]
        var problems: [String] = []
        var recovered: Double?
        do {
            try await Task.sleep(for: .seconds(loadSeconds / 4))
            try await component.stop()
            let restartAt = ContinuousClock.now + downtime
            while ContinuousClock.now < restartAt {
                let answer = await LocalHTTP.get(port: port, path: probe, timeoutSeconds: 6)
                statuses[answer?.status ?? 0, default: 0] += 1
                // A failure must say what is wrong: 502 or 503, with a message.
                if let answer, answer.status >= 500, ![502, 503].contains(answer.status) || answer.body.isEmpty {
                    let body = answer.body.isEmpty ? " with an empty body" : ": \(answer.body.prefix(120))"
                    problems.append("while \(component.name) was down, \(probe) answered \(answer.status)\(body)")
                }
                try await Task.sleep(for: .milliseconds(250))
            }
            try await component.start()
            let restarted = ContinuousClock.now
            while ContinuousClock.now - restarted < .seconds(30) {
                if await LocalHTTP.get(port: port, path: probe, timeoutSeconds: 6)?.status == 200 {
                    recovered = (ContinuousClock.now - restarted).seconds
                    break
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        } catch {
            load.cancel()
            try? await component.start()
            throw error
        }
        let result = try await load.value
        if recovered == nil { problems.append("\(probe) did not answer 200 within 30 s after \(component.name) was back") }
        for (instance, pid) in instancesBefore where kill(pid, 0) != 0 {
            problems.append("\(instance.label) crashed (pid \(pid) is gone); see \(server.logFiles.map(\.path).joined(separator: ", "))")
        }
        if instancesBefore.isEmpty {
            for (instance, started) in startedBefore {
                let startedNow = await ServerMetrics.fetch(port: instance.port)?.sum("process_start_time_seconds")
                guard startedNow != started else { continue }
                problems.append("\(instance.label) crashed and was started again during the drill; ./lab logs \(self.scenario.number) says why")
            }
        }
        let totals = result.totals
        let outcomes = totals.succeeded + totals.timeouts + totals.connectionErrors + totals.httpErrorCount + totals.wrongAnswers
        if outcomes != totals.sent { problems.append("the load tool sent \(totals.sent) requests but counted \(outcomes) outcomes") }
        let serverErrors = totals.httpErrors.filter { (Int($0.key) ?? 0) >= 500 && $0.key != "502" && $0.key != "503" }
        if !serverErrors.isEmpty {
            problems.append("answers with a server error: \(serverErrors.map { "\($0.value) × \($0.key)" }.joined(separator: ", "))")
        }
        problems += await self.gaugeProblems(instancesBefore.map(\.instance))
        return Report(
            component: component.name,
            product: product,
            statusesWhileDown: statuses,
            recoveredAfterSeconds: recovered,
            load: result,
            problems: problems
        )
    }

    /// With no load left, every instance's pool must say so: nothing in use, nobody waiting.
    ///
    /// Given 15 s to get there: a naive server's slow queries keep running after the load tool gave up on them
    /// (scenario 02's sequential scans, on a machine slower than ours, outlast 5 s). A leak never gets there.
    private func gaugeProblems(_ instances: [ServerInstance]) async -> [String] {
        var problems: [String] = []
        for instance in instances {
            var last = ""
            for _ in 0..<60 {
                guard let metrics = await ServerMetrics.fetch(port: instance.port) else { break }
                let inUse = metrics.sum("db_pool_connections_in_use")
                let waiting = metrics.sum("db_pool_requests_waiting")
                last = "db_pool_connections_in_use \(Int(inUse)), db_pool_requests_waiting \(Int(waiting))"
                if inUse == 0 && waiting == 0 {
                    last = ""
                    break
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
            if !last.isEmpty { problems.append("\(instance.label) still reports \(last) with no load left") }
        }
        return problems
    }

    /// A read the server answers from the database, for the probe: the plan's first GET whose placeholders
    /// are all seeded values, filled with the first of each.
    static func probePath(_ plan: LoadPlan) -> String {
        let templates = plan.requests + plan.journeys.flatMap { $0.steps.map { RequestTemplate(name: $0.name, method: $0.method, path: $0.path) } }
        let template = templates.first { template in
            template.method == "GET" && template.placeholderNames.allSatisfy { plan.parameters[$0]?.isEmpty == false }
        }
        return template?.render { plan.parameters[$0]?.first ?? "" } ?? "/health"
    }
}
