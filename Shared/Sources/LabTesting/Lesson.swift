import Foundation
import LabKit
import LoadTestKit

/// What a scenario's lesson test does, step by step, against the real database: prepare the data, run a
/// server variant with or without the database fix, send the standard load, and return what was measured.
///
/// Lesson tests run inside `swift test`, which holds the build folder's lock, so they use the binaries the
/// test build already produced (`./lab test` builds servers and tests together) instead of building.
public struct Lesson: Sendable {
    public let paths: LabPaths
    public let scenario: Scenario
    public let database: LabDatabase

    /// - Parameter file: a file inside the scenario package (`#filePath` of the test), to find the repository.
    public init(scenarioNumber: String, file: String) throws {
        let paths = try LabPaths.discover(from: URL(fileURLWithPath: file).deletingLastPathComponent())
        self.init(scenario: try Scenario.find(scenarioNumber, in: paths), paths: paths)
    }

    public init(scenario: Scenario, paths: LabPaths) {
        self.paths = paths
        self.scenario = scenario
        self.database = LabDatabase(paths: paths)
    }

    /// Starts (or waits for) PostgreSQL, creates and seeds the scenario database.
    public func prepare() async throws {
        try await ServerRun(scenario: self.scenario, paths: self.paths).prepareDatabase()
        await MachineSpeed.measureOnce(database: self.database)
    }

    /// Applies (or undoes) the database half of the fix from `lab.json`.
    public func setDatabaseFix(applied: Bool) async throws {
        let manifest = self.scenario.manifest
        if applied, let fix = manifest.fix {
            try await self.database.execute(try String(contentsOf: self.scenario.file(fix), encoding: .utf8), on: self.scenario)
        } else if !applied, let undo = manifest.undoFix {
            try await self.database.execute(undo, on: self.scenario)
        }
    }

    /// Runs `product` in the background (after the scenario's services), sends the scenario's standard
    /// load, stops the server.
    /// - Parameters:
    ///   - seconds: a shorter load than the standard one, for tests that need traffic, not a verdict.
    ///   - only: send only these requests of the mix, or these journeys (by name), like `./lab load --only`.
    ///   - environment: added to the server's environment, e.g. `["DATABASE_POOL_SIZE": "20"]`.
    ///   - instances: how many instances behind the load balancer (default: the scenario's).
    ///   - during: runs once the load has been going for a third of its time, while the server is busy
    ///     (e.g. to read `pg_stat_activity`); its result is returned with the measurement.
    ///   - before: runs once the services and the server answer, before the load (e.g. to empty a cache).
    ///   - after: runs after the load, while the server still runs (e.g. to let Prometheus scrape it once more).
    public func measure<Observed: Sendable>(
        _ product: String,
        label: String,
        seconds: Double? = nil,
        only: [String] = [],
        environment: [String: String] = [:],
        instances: Int? = nil,
        during: @escaping @Sendable () async throws -> Observed,
        before: @escaping @Sendable () async throws -> Void = {},
        after: @escaping @Sendable () async throws -> Void = {}
    ) async throws -> Measurement<Observed> {
        try await self.withServer(product, environment: environment, instances: instances) {
            try await before()
            var plan = try await self.scenario.loadPlan(database: self.database)
            if let seconds { plan.durationSeconds = seconds }
            if !only.isEmpty { plan = plan.keepingOnly(only) }
            let loadPlan = plan
            // Observed while the load runs; a load that fails cancels it (async let never outlives this scope).
            async let observing: Observed = {
                try await Task.sleep(for: .seconds(loadPlan.durationSeconds / 3))
                return try await during()
            }()
            let (result, summary) = try await ServerMetricsSummary.observe(self.scenario.allInstances) {
                try await LoadGenerator.run(loadPlan)
            }
            let observed = try await observing
            try await after()
            let log = ServerProcess(scenario: self.scenario, paths: self.paths).logTail(lines: 10_000)
            var report = "--- \(label) ---\n" + LoadReport.render(result, targets: self.targets)
            if let summary { report += "\n" + summary.render() }
            say(report + "\n")
            return Measurement(result: result, server: summary, observed: observed, serverLog: log)
        }
    }

    /// ``measure(_:label:seconds:only:environment:instances:during:)`` with nothing observed during the load.
    public func measure(
        _ product: String,
        label: String,
        seconds: Double? = nil,
        only: [String] = [],
        environment: [String: String] = [:],
        instances: Int? = nil
    ) async throws -> LoadResult {
        try await self.measure(product, label: label, seconds: seconds, only: only, environment: environment, instances: instances) { () }.result
    }

    /// What one ``measure(_:label:seconds:only:environment:instances:during:)`` saw.
    public struct Measurement<Observed: Sendable>: Sendable {
        /// The load tool's counts.
        public var result: LoadResult
        /// The server's own view (its `/metrics`), nil if it could not be read.
        public var server: ServerMetricsSummary?
        /// What `during` returned.
        public var observed: Observed
        /// The server's output while it ran (e.g. PostgreSQL's errors); every instance's, when several ran.
        public var serverLog: String
    }

    /// Runs `product` in the background (after the scenario's services) for `body`, then stops it: for
    /// tests that drive the server themselves, e.g. with ``LearnerCheck``.
    public func withServer<T: Sendable>(
        _ product: String,
        environment: [String: String] = [:],
        instances: Int? = nil,
        _ body: () async throws -> T
    ) async throws -> T {
        try await ServerRun(scenario: self.scenario, paths: self.paths).with(product, environment: environment, instances: instances, body)
    }

    /// `./lab check` against `product`: the standard load and the scenario's observations.
    /// - Parameters:
    ///   - seconds: a shorter standard load (the fault phases keep their own length).
    ///   - reference: the check of a reference server, held to the targets scaled to this machine
    ///     (``MachineSpeed``); any other check is held to lab.json's, as a learner's is.
    public func check(
        _ product: String,
        label: String,
        environment: [String: String] = [:],
        instances: Int? = nil,
        seconds: Double? = nil,
        reference: Bool = false
    ) async throws -> LearnerCheck.Outcome {
        try await self.check(product, label: label, environment: environment, instances: instances, seconds: seconds, reference: reference) {
            ()
        }.outcome
    }

    /// ``check(_:label:environment:instances:seconds:reference:)`` that also runs `during` once the load has been
    /// going for a third of its time (e.g. to read `pg_stat_activity`), and returns the server's output: one run
    /// of a setup is then both the lesson's measurement and the check's verdict (running a lesson's `measure` and a
    /// check of the same setup measured it twice, minutes of CI's hour per scenario).
    public func check<Observed: Sendable>(
        _ product: String,
        label: String,
        environment: [String: String] = [:],
        instances: Int? = nil,
        seconds: Double? = nil,
        reference: Bool = false,
        during: @escaping @Sendable () async throws -> Observed
    ) async throws -> Checked<Observed> {
        let loadSeconds = min(self.scenario.manifest.load.durationSeconds, seconds ?? .infinity)
        let checked = try await self.withServer(product, environment: environment, instances: instances) {
            var check = LearnerCheck(scenario: self.scenario, database: self.database)
            check.loadSeconds = seconds
            check.slowness = reference ? MachineSpeed.slowness : 1
            let run = check
            // Observed while the load runs; a check that fails cancels it (async let never outlives this scope).
            async let observing: Observed = {
                try await Task.sleep(for: .seconds(loadSeconds / 3))
                return try await during()
            }()
            let outcome = try await run.run()
            let observed = try await observing
            let log = ServerProcess(scenario: self.scenario, paths: self.paths).logTail(lines: 10_000)
            return Checked(outcome: outcome, observed: observed, serverLog: log)
        }
        say("--- check: \(label) ---\n" + LearnerCheckReport.render(checked.outcome, scenario: self.scenario, hintsShown: [:]) + "\n")
        return checked
    }

    /// What one observing ``check(_:label:environment:instances:seconds:reference:during:)`` saw.
    public struct Checked<Observed: Sendable>: Sendable {
        /// The check's verdict, with the load tool's counts (`outcome.result`) and the server's own view.
        public var outcome: LearnerCheck.Outcome
        /// What `during` returned.
        public var observed: Observed
        /// The server's output while it ran; every instance's, when several ran.
        public var serverLog: String
        public var result: LoadResult { self.outcome.result }
        public var server: ServerMetricsSummary? { self.outcome.server }
    }

    /// The scenario's overall targets scaled to this machine (``MachineSpeed``): what a reference server is
    /// held to. A naive setup is held to lab.json's own (``misses(_:)``).
    public var targets: LoadTargets { self.scenario.manifest.targets.scaled(bySlowness: MachineSpeed.slowness) }

    /// For a reference server: the verdict's PASS against the targets scaled to this machine, the endpoints'
    /// and journeys' included.
    public func passes(_ result: LoadResult) -> Bool {
        result.passes(self.scenario.manifest.targets, slowness: MachineSpeed.slowness)
    }

    /// For a naive setup or a half-fix: it misses lab.json's targets as a learner's would, unscaled (on a slower
    /// machine it only misses by more).
    public func misses(_ result: LoadResult) -> Bool {
        !result.passes(self.scenario.manifest.targets)
    }
}
