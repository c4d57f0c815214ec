import Foundation
import LoadTestKit
import PostgresNIO
import Synchronization

/// `./lab check`: the scenario's standard load against the learner's running server, then the scenario's
/// observations (``ProblemCatalog``), and a verdict: every target with its measured number, and for each
/// problem still observed, what was seen.
public struct LearnerCheck: Sendable {
    public let scenario: Scenario
    public let database: LabDatabase

    /// A shorter standard load than the scenario's (a lesson test that only needs the observations); nil: the
    /// scenario's own, as `./lab check` always runs it.
    public var loadSeconds: Double?
    /// Scales the targets for a machine this many times slower than a learner's (the lesson tests'
    /// `MachineSpeed`); 1 for a learner.
    public var slowness: Double = 1

    public init(scenario: Scenario, database: LabDatabase) {
        self.scenario = scenario
        self.database = database
    }

    /// A problem of `checks.json` that the check observed, with what it saw.
    public struct Finding: Sendable {
        public var problem: ProblemCatalog.Problem
        /// The number or plan line observed.
        public var observed: String
        /// ``ProblemCatalog/Problem/found`` with `{value}` filled in.
        public var message: String

        public init(problem: ProblemCatalog.Problem, observed: String, message: String) {
            self.problem = problem
            self.observed = observed
            self.message = message
        }
    }

    public struct Outcome: Sendable {
        public var result: LoadResult
        public var server: ServerMetricsSummary?
        public var targetsMet: Bool
        public var findings: [Finding]
        /// Instances the load balancer (nearly) left out: every instance must take its share for the check to
        /// judge the scenario as it runs in production.
        public var idleInstances: [String] = []
        /// How far the replica was behind during the standard load (scenarios with one).
        public var replicationLag: ReplicationLag?
        /// Set when other programs took much of the CPU during the load (``MachineLoad``).
        public var busyMachineNote: String?
        /// What each fault phase did and measured (or why it was skipped), found or not.
        public var faultPhases: [String] = []
        /// What the learner must know before reading the verdict (it ran an older build than their code).
        public var warnings: [String] = []
        /// The targets were scaled for a slower machine (tests only; 1 for a learner).
        public var slowness: Double = 1
        /// Every numeric observation's value by problem id, whether or not it crossed its threshold: a lesson
        /// test asserts on them (e.g. "at most 2 aggregates") from the same run that gives the verdict.
        public var measured: [String: Double] = [:]
        /// Targets met, no known problem observed, every instance used: the only outcome that exits 0.
        public var passed: Bool { self.targetsMet && self.findings.isEmpty && self.idleInstances.isEmpty }

        public init(result: LoadResult, server: ServerMetricsSummary?, targetsMet: Bool, findings: [Finding]) {
            self.result = result
            self.server = server
            self.targetsMet = targetsMet
            self.findings = findings
        }
    }

    /// Refuses a check that could not judge the scenario (no server, fewer instances than it runs as), before
    /// any load is sent.
    public func preflight() throws {
        guard ServerProcess.healthStatus(port: self.scenario.manifest.port) == 200 else {
            throw LabError(
                "nothing answers on \(self.scenario.serverURL). Start your server first (./lab up \(self.scenario.number) in another terminal), then run the check again."
            )
        }
        try self.ensureTopology()
    }

    /// Runs the load and the observations. The server must already be running on the scenario's port.
    /// - Parameter progress: called about once a second during the load.
    public func run(progress: (@Sendable (LoadGenerator.Progress) -> Void)? = nil) async throws -> Outcome {
        try self.preflight()
        let checks = try ProblemCatalog.load(for: self.scenario)?.problems ?? []
        var standard = try await self.scenario.loadPlan(database: self.database).shortenedForDocsCheck()
        if let seconds = self.loadSeconds { standard.durationSeconds = min(standard.durationSeconds, seconds) }
        let plan = standard
        let machine = MachineLoad(paths: self.database.paths)

        // Every check starts from an empty cache, as after a deploy or a Redis restart: what a cache does when it
        // is cold (a stampede) is then seen on every check, not only on the first.
        try await self.emptyCaches()

        // Observations that start from zero (index usage counters reset).
        for problem in checks {
            if let statement = problem.observe.before {
                _ = try await self.database.strings("SELECT count(*)::text FROM (\(statement)) AS before", on: self.scenario, asAdmin: true)
            }
        }
        // Redis counters are read before the load too, to see how much they grew.
        var redisBefore: [String: Double] = [:]
        for problem in checks where problem.observe.redisInfo != nil && problem.observe.change == true {
            redisBefore[problem.id] = try self.redisInfo(problem.observe)
        }
        // And the commands Redis ran, to tell a server that uses it from one that only holds a connection.
        var redisCommandsBefore: [String: Double] = [:]
        for problem in checks {
            if let name = problem.observe.pauseRedis { redisCommandsBefore[problem.id] = try self.redis(named: name).commandsProcessed() }
        }
        // And counters of PostgreSQL's statistics views, to see how much they grew (rows read, queries cancelled).
        var sqlBefore: [String: Double] = [:]
        for problem in checks where problem.observe.sql != nil && problem.observe.change == true {
            sqlBefore[problem.id] = try await self.number(problem.observe.sql ?? "", service: problem.observe.service)
        }
        // The load balancer's own counters (HAProxy), read before and after the load.
        let balancer = checks.contains { $0.observe.balancerRatio != nil } ? try self.balancer() : nil
        let balancerBefore = await balancer?.metrics()
        // Observations that only exist while the server is busy (e.g. connections idle in transaction). They start
        // with the load, after the resets above: a probe still running when pg_stat_statements was reset came back
        // as an entry of its own, with its literal text ('%sum(quantity)%'), and scenario 05 counted its own ~150
        // probes as the app's aggregates (on a slower machine, where a probe often spanned the reset).
        let duringLoad = checks.filter { $0.observe.sqlDuringLoad != nil && $0.observe.sampleWholeLoad != true }
        let inBursts = checks.filter { $0.observe.sqlDuringLoad != nil && $0.observe.sampleWholeLoad == true }
        async let burstSampling: [String: Double] = {
            guard !inBursts.isEmpty else { return [:] }
            var largest: [String: Double] = [:]
            let end = ContinuousClock.now + .seconds(plan.durationSeconds)
            while ContinuousClock.now < end {
                for problem in inBursts {
                    if let value = try await self.number(problem.observe.sqlDuringLoad ?? "") {
                        largest[problem.id] = max(largest[problem.id] ?? value, value)
                    }
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            return largest
        }()
        // Sampled while the load runs; a load that fails cancels it (async let never outlives this scope).
        async let sampling: [String: Double] = {
            try await Task.sleep(for: .seconds(plan.durationSeconds / 3))
            var largest: [String: Double] = [:]
            for _ in 0..<10 {
                for problem in duringLoad {
                    if let value = try await self.number(problem.observe.sqlDuringLoad ?? "") {
                        largest[problem.id] = max(largest[problem.id] ?? value, value)
                    }
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            return largest
        }()
        let instances = self.scenario.allInstances
        let ((result, server), lag) = try await ReplicationLag.observe(self.scenario, database: self.database) {
            try await ServerMetricsSummary.observe(instances) {
                try await LoadGenerator.run(plan) { progress?($0) }
            }
        }
        let balancerAfter = await balancer?.metrics()
        let sampled = try await sampling.merging(try await burstSampling) { max($0, $1) }

        var findings: [Finding] = []
        var faultPhases: [String] = []
        var measured: [String: Double] = [:]
        // Fault phases run their own load: after every other observation has read what the standard load left.
        let isFaultPhase = { (problem: ProblemCatalog.Problem) in problem.observe.pauseRedis != nil || problem.observe.instanceFault != nil }
        let ordered = checks.filter { !isFaultPhase($0) } + checks.filter(isFaultPhase)
        for problem in ordered {
            let observe = problem.observe
            var observed: String?
            /// Keeps `value` in `measured` and returns it as the finding shows it when it crosses the threshold.
            func found(_ value: Double, as format: (Double) -> String = Self.format) -> String? {
                measured[problem.id] = value
                return Self.holds(observe, value) ? format(value) : nil
            }
            if let service = observe.pauseRedis {
                // A server that sent Redis (almost) nothing during the load does not depend on it: no fault phase,
                // whose numbers would only be the noise of whatever else is wrong with it.
                let used = try self.redis(named: service).commandsProcessed() - (redisCommandsBefore[problem.id] ?? 0)
                let seconds = observe.pauseSeconds ?? 5
                if used >= Self.redisCommandsOfAServerThatUsesIt {
                    // Answers per second while Redis was away, against the standard load's: a shop that falls back
                    // to the database keeps a share of them; one that waits on Redis answers (almost) nothing.
                    // A rate of failure would hide it: users stuck on a frozen Redis send few requests.
                    let fault = try await self.load(whileRedis: service, pausedFor: seconds, plan: plan)
                    let usual = result.totals.requestsPerSecond
                    let kept = usual > 0 ? fault.requestsPerSecondDuringPause / usual * 100 : 0
                    observed = found(kept) { String(format: "%.1f", $0) }
                    faultPhases.append(
                        String(
                            format:
                                "Fault phase: Redis stopped answering for %.0f s under load. Meanwhile the shop answered %.0f req/s as expected, %.1f%% of the standard load's %.0f req/s (and %@ requests of this %.0f s load got an error or no answer).",
                            seconds,
                            fault.requestsPerSecondDuringPause,
                            kept,
                            usual,
                            fault.result.totals.errors.formatted(),
                            fault.result.durationSeconds
                        )
                    )
                } else {
                    faultPhases.append(
                        "Fault phase skipped: the server sent Redis (almost) no commands during the load, so it cannot depend on it."
                    )
                }
            } else if let fault = observe.instanceFault {
                // One instance paused or cut off its database, or a deploy, under a load of its own.
                let outcome = try await fault.run(scenario: self.scenario, paths: self.database.paths, plan: plan)
                observed = found(outcome.observed)
                faultPhases.append(outcome.render())
            } else if let ratio = observe.balancerRatio {
                if let before = balancerBefore, let after = balancerAfter,
                    let value = ratio.value(in: ServerMetricsSummary(before: before, after: after, peakInUse: 0, peakWaiting: 0))
                {
                    observed = found(value)
                }
            } else if let metric = observe.metric {
                if let value = server.flatMap(metric.value(in:)) { observed = found(value) }
            } else if let ratio = observe.ratio {
                if let value = server.flatMap(ratio.value(in:)) { observed = found(value) }
            } else if observe.redisInfo != nil {
                if var value = try self.redisInfo(observe) {
                    if let before = redisBefore[problem.id] { value -= before }
                    observed = found(value)
                }
            } else if let query = observe.explain, let needle = observe.contains {
                let plan = try await self.database.strings("EXPLAIN " + query, on: self.scenario)
                observed = Self.node(of: needle, in: plan)
            } else if let query = observe.explainPages {
                if let value = try await self.database.pagesTouched(by: query, on: self.scenario) { observed = found(value) }
            } else if let query = observe.sql {
                if var value = try await self.number(query, service: observe.service) {
                    if let before = sqlBefore[problem.id] { value -= before }
                    observed = found(value)
                }
            } else if observe.sqlDuringLoad != nil {
                if let value = sampled[problem.id] { observed = found(value) }
            } else if let path = observe.stickyProbe {
                if let value = Self.pinnedShare(port: self.scenario.manifest.port, path: path) { observed = found(value) }
            } else if observe.journeyStep != nil || observe.journeySteps != nil {
                let steps = observe.journeySteps ?? [observe.journeyStep].compactMap { $0 }
                let rates = steps.compactMap { step -> Double? in
                    guard let counts = result.endpoints.first(where: { $0.name == step })?.counts, counts.sent > 0 else { return nil }
                    let failed = observe.wrongAnswersOnly == true ? counts.wrongAnswers : counts.failed
                    return Double(failed) / Double(counts.sent) * 100
                }
                if let failed = rates.max() { observed = found(failed) { String(format: "%.1f", $0) } }
            }
            if let observed {
                findings.append(
                    Finding(problem: problem, observed: observed, message: problem.found.replacingOccurrences(of: "{value}", with: observed))
                )
            }
        }
        var outcome = Outcome(
            result: result,
            server: server,
            targetsMet: result.passes(self.scenario.manifest.targets, slowness: self.slowness),
            findings: findings
        )
        // An instance configured unlike the others (scenario 06's c, with its small pool) may rightly get less.
        let unlike = Set((self.scenario.manifest.instances?.environment ?? [:]).keys)
        outcome.idleInstances = Self.idleInstances(server, except: unlike)
        outcome.busyMachineNote = machine.note()
        outcome.replicationLag = lag
        outcome.faultPhases = faultPhases
        outcome.slowness = self.slowness
        outcome.measured = measured
        return outcome
    }

    /// The scenario's HAProxy, for observations of the load balancer's own metrics.
    private func balancer() throws -> HAProxyService {
        guard let haproxy = try ScenarioServices(scenario: self.scenario, paths: self.database.paths).all.compactMap({ $0 as? HAProxyService }).first
        else {
            throw LabError("checks.json: balancerRatio needs a haproxy service in scenario \(self.scenario.number)'s lab.json")
        }
        return haproxy
    }

    /// Empties the scenario's Redis (``RedisService/reset()``), if it runs one.
    func emptyCaches() async throws {
        for redis in try self.redisServices() { _ = try await redis.reset() }
    }

    /// A scenario that runs as several instances is judged only as several: one instance alone keeps
    /// everything in one memory and hides every problem of sharing state (scenario 04 would pass untouched).
    func ensureTopology() throws {
        guard let instances = self.scenario.manifest.instances else { return }
        let answering = self.scenario.allInstances.filter { ServerProcess.healthStatus(port: $0.port) == 200 }
        guard answering.count >= instances.count else {
            let n = self.scenario.number
            throw LabError(
                "scenario \(n) runs as \(instances.count) instances behind the load balancer, and only \(answering.count) answer"
                    + (answering.isEmpty ? "" : " (\(answering.map(\.label).joined(separator: ", ")))")
                    + ". The check judges the scenario as it runs for real: a lone instance keeps everything in its own memory and "
                    + "hides what breaks when there are several. Start it with ./lab up \(n) (or --instances \(instances.count) or more), then check again."
            )
        }
    }

    /// Instances that answered less than half their fair share of the requests (a sticky load balancer, or one
    /// that sends everything to one instance), as "b: 0% of the requests".
    static func idleInstances(_ server: ServerMetricsSummary?, except unlike: Set<String> = []) -> [String] {
        guard let shares = server?.requestsByInstance, shares.count > 1, let total = server?.requests, total > 0 else { return [] }
        let fair = total / Double(shares.count)
        return shares.sorted { $0.key < $1.key }.filter { $0.value < fair / 2 && !unlike.contains($0.key) }.map {
            String(format: "%@: %.0f%% of the requests", $0.key, $0.value / total * 100)
        }
    }

    /// The first column of the first row of `sql` as a number (as the administrator, so it works even when
    /// the server's pool holds every ordinary connection slot), on the primary or on the replica `service`.
    private func number(_ sql: String, service: String? = nil) async throws -> Double? {
        // As text whatever its type (count(*) is bigint, an average numeric...).
        let query = "SELECT (\(sql))::text"
        guard let service else { return try await self.database.strings(query, on: self.scenario, asAdmin: true).first.flatMap(Double.init) }
        let services = try ScenarioServices(scenario: self.scenario, paths: self.database.paths)
        guard let replica = services.named(service) as? PostgresReplicaService else {
            if services.named(service) is PostgresService {
                return try await self.database.strings(query, on: self.scenario, asAdmin: true).first.flatMap(Double.init)
            }
            throw LabError("checks.json: sql on '\(service)', which is not a PostgreSQL service of scenario \(self.scenario.number)")
        }
        let url = try replica.url(database: self.scenario.manifest.database)
        return try await self.database.withConnection(to: url) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: query), logger: connection.logger).collect().first.flatMap {
                try? $0.decode(String.self)
            }.flatMap(Double.init)
        }
    }

    /// What a short load (the pause + 6 s) saw while Redis stopped answering for `seconds`, from its third second.
    struct FaultLoad {
        var result: LoadResult
        /// Requests answered as expected per second while Redis was paused (its first second left out: requests
        /// sent just before it finish then).
        var requestsPerSecondDuringPause: Double
    }

    private func load(whileRedis name: String, pausedFor seconds: Double, plan: LoadPlan) async throws -> FaultLoad {
        let redis = try self.redis(named: name)
        var faultPlan = plan
        faultPlan.durationSeconds = seconds + 6
        let loadPlan = faultPlan
        let pauseStart = 3.0
        let duringPause = Mutex<[Double]>([])
        async let pause: Void = {
            try await Task.sleep(for: .seconds(pauseStart))
            _ = try redis.command(["CLIENT", "PAUSE", String(Int(seconds * 1000)), "ALL"])
        }()
        let result = try await LoadGenerator.run(loadPlan) { progress in
            if progress.elapsedSeconds > pauseStart + 1, progress.elapsedSeconds <= pauseStart + seconds {
                duringPause.withLock { $0.append(progress.requestsPerSecond) }
            }
        }
        try await pause
        let samples = duringPause.withLock { $0 }
        return FaultLoad(result: result, requestsPerSecondDuringPause: samples.isEmpty ? 0 : samples.reduce(0, +) / Double(samples.count))
    }

    /// Fewer Redis commands than this during the standard load (the check's own INFO and FLUSHALL, a pool's
    /// HELLOs) means the server does not use Redis; a cache sends one or two per request, thousands in a load.
    static let redisCommandsOfAServerThatUsesIt: Double = 1000

    /// The scenario's Redis services (`lab.json`).
    private func redisServices() throws -> [RedisService] {
        try ScenarioServices(scenario: self.scenario, paths: self.database.paths).all.compactMap { $0 as? RedisService }
    }

    /// The scenario's Redis service of this name.
    private func redis(named name: String) throws -> RedisService {
        guard let redis = try self.redisServices().first(where: { $0.name == name }) else {
            throw LabError("checks.json: pauseRedis names \(name), which is not a Redis service of scenario \(self.scenario.number)")
        }
        return redis
    }

    /// The number of the Redis `INFO` field the observation names, from its Redis service.
    private func redisInfo(_ observe: ProblemCatalog.Observation) throws -> Double? {
        let services = try self.redisServices()
        guard let redis = observe.service.map({ name in services.first { $0.name == name } }) ?? services.first else {
            throw LabError("checks.json: redisInfo needs a Redis service in scenario \(self.scenario.number)'s lab.json")
        }
        let name = observe.redisInfo ?? ""
        // Redis lists an error kind only once it has answered one: none yet is a count of 0.
        let fallback = name.hasPrefix("errorstat_") ? "0" : nil
        return try (redis.info()[name] ?? fallback).flatMap(Double.init)
    }

    /// The percentage of 8 users (each from a loopback address of its own, as real users' machines) whose 10
    /// requests for `path` were all answered by the same instance; nil when the answers name no instance.
    static func pinnedShare(port: Int, path: String) -> Double? {
        var pinned = 0
        var users = 0
        for user in 0..<8 {
            // Far from the load tool's own addresses (127.1.x.1...), in the 127.200.x.1 range.
            let address = "127.200.\(user).1"
            let instances = (0..<10).compactMap { _ in
                LocalHTTP.get(port: port, path: path, timeoutSeconds: 5, sourceAddress: address)?.headers["x-instance"]
            }
            guard instances.count == 10 else { continue }
            users += 1
            if Set(instances).count == 1 { pinned += 1 }
        }
        return users == 0 ? nil : Double(pinned) / Double(users) * 100
    }

    /// The plan node (`Parallel Seq Scan on users`) of the first line of `plan` that contains `needle`: the line
    /// itself when it is a node, else the node it belongs to (a `Filter:` line belongs to the node above it).
    static func node(of needle: String, in plan: [String]) -> String? {
        guard let index = plan.firstIndex(where: { $0.contains(needle) }) else { return nil }
        let node = plan[...index].last { $0.contains("(cost=") } ?? plan[index]
        return Self.planNode(node)
    }

    /// `->  Parallel Seq Scan on users  (cost=0.00..17609.33 rows=1 width=68)` → `Parallel Seq Scan on users`.
    static func planNode(_ line: String) -> String {
        var text = line.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("->") { text = String(text.dropFirst(2)).trimmingCharacters(in: .whitespaces) }
        if let cost = text.range(of: "  (cost=") { text = String(text[..<cost.lowerBound]) }
        return text
    }

    static func holds(_ observe: ProblemCatalog.Observation, _ value: Double) -> Bool {
        if let above = observe.above { return value > above }
        if let below = observe.below { return value < below }
        return false
    }

    static func format(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 { return String(Int(value)) }
        return String(format: value < 10 ? "%.2f" : "%.0f", value)
    }
}
