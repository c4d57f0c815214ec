import Foundation
import LoadTestKit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Something that happens to the instances behind a load balancer while users keep coming (scenario 06):
/// what a balancer must ride out, and what `./lab check` and the lesson test make happen for real.
///
/// - `pause`: one instance stops answering for `seconds` (SIGSTOP, then SIGCONT): what a stuck process, a
///   long garbage-collection pause or a frozen VM looks like from outside. Its port still accepts
///   connections (the kernel does that), and nothing comes back.
/// - `cutDatabase`: one instance loses its database for `seconds` (its PostgreSQL role may no longer log in
///   and its connections are closed: ``LabDatabase/cutOff(_:)``), as after a botched credential rotation. The
///   process is fine; every request it takes fails.
/// - `deploy`: every instance restarted, one at a time (``RollingRestart``).
/// - `stopService`: one of the scenario's services (`service`, its name in `lab.json`: scenario 07's
///   `replica`) stopped for `seconds`, then started again: a database server that goes away under load.
public struct InstanceFault: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case pause, cutDatabase, deploy, stopService
    }

    public var kind: Kind
    /// The instance (`b`) a pause or a database cut hits.
    public var instance: String?
    /// How long a pause or a database cut lasts (default 6 s).
    public var seconds: Double?
    /// The service a `stopService` fault stops (its name in `lab.json`).
    public var service: String?

    public init(kind: Kind, instance: String? = nil, seconds: Double? = nil, service: String? = nil) {
        self.kind = kind
        self.instance = instance
        self.seconds = seconds
        self.service = service
    }

    /// Seconds of normal load before the fault, and after it ends (the balancer brings the instance back).
    static let lead = 3.0
    static let tail = 5.0

    /// What a fault phase measured.
    public struct Outcome: Sendable {
        public var fault: InstanceFault
        public var result: LoadResult
        /// What happened, step by step (the deploy's own lines).
        public var steps: [String]
        /// Requests that failed: an error status, no answer, or a wrong answer.
        public var failed: Int { self.result.totals.sent - self.result.totals.succeeded }
        public var failedPercent: Double {
            self.result.totals.sent > 0 ? Double(self.failed) / Double(self.result.totals.sent) * 100 : 0
        }

        /// The number a check compares: failed requests for a deploy (the target is none), their share for
        /// the others (the target is 99.9% success).
        public var observed: Double { self.fault.kind == .deploy ? Double(self.failed) : self.failedPercent }

        /// One sentence for the check's report.
        public func render() -> String {
            let totals = self.result.totals
            let what: String
            switch self.fault.kind {
            case .pause: what = "instance \(self.fault.instance ?? "?") stopped answering (SIGSTOP) for \(Int(self.fault.seconds ?? 6)) s"
            case .cutDatabase: what = "instance \(self.fault.instance ?? "?") lost its database for \(Int(self.fault.seconds ?? 6)) s"
            case .deploy: what = "every instance was restarted, one at a time (a deploy)"
            case .stopService: what = "\(self.fault.service ?? "?") was stopped for \(Int(self.fault.seconds ?? 6)) s"
            }
            var statuses = totals.httpErrors.sorted { $0.key < $1.key }.map { "\($0.value) × \($0.key)" }
            if totals.timeouts > 0 { statuses.append("\(totals.timeouts) timed out") }
            if totals.connectionErrors > 0 { statuses.append("\(totals.connectionErrors) not connected") }
            if totals.wrongAnswers > 0 { statuses.append("\(totals.wrongAnswers) wrong answers") }
            return String(
                format: "Fault phase: %@ under load (%.0f s): %@ of %@ requests failed (%.2f%%)%@; p99 %@.",
                what,
                self.result.durationSeconds,
                self.failed.formatted(),
                totals.sent.formatted(),
                self.failedPercent,
                statuses.isEmpty ? "" : " (" + statuses.joined(separator: ", ") + ")",
                String(format: "%.0f ms", totals.latency.p99)
            )
        }
    }

    /// Runs the fault under `plan`'s load (its duration replaced by the fault's own) and measures it.
    /// Whatever happens, a paused instance is resumed and a cut instance reconnected.
    public func run(scenario: Scenario, paths: LabPaths, plan: LoadPlan, log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Outcome
    {
        var faultPlan = plan
        // `./lab docs-check` checks the report, not the numbers: a short fault, like its short loads.
        let docsCap = ProcessInfo.processInfo.environment[LoadPlan.docsMaxSecondsVariable].flatMap(Double.init)
        let seconds = min(self.seconds ?? 6, docsCap ?? .infinity)
        let lead = docsCap == nil ? Self.lead : 2
        let tail = docsCap == nil ? Self.tail : 2
        var ran = self  // what really happened, for the report
        if self.kind != .deploy { ran.seconds = seconds }
        let steps = Mutex<[String]>([])
        let note: @Sendable (String) -> Void = { line in
            steps.withLock { $0.append(line) }
            log(line)
        }
        switch self.kind {
        case .pause:
            let instance = try Self.instance(self.instance, of: scenario)
            guard let pid = PortOwner.pid(listeningOn: instance.port) else { throw LabError("nothing listens on \(instance.label): is it running?") }
            faultPlan.durationSeconds = lead + seconds + tail
            let loadPlan = faultPlan
            async let load = LoadGenerator.run(loadPlan)
            try? await Task.sleep(for: .seconds(lead))
            kill(pid, SIGSTOP)
            note("paused \(instance.label) (SIGSTOP to pid \(pid))")
            try? await Task.sleep(for: .seconds(seconds))
            kill(pid, SIGCONT)
            note("resumed \(instance.label) (SIGCONT)")
            return Outcome(fault: ran, result: try await load, steps: steps.withLock { $0 })
        case .cutDatabase:
            let instance = try Self.instance(self.instance, of: scenario)
            guard scenario.manifest.instances?.databaseRolePerInstance == true else {
                throw LabError("scenario \(scenario.number)'s instances share one database role: set instances.databaseRolePerInstance in lab.json")
            }
            let database = LabDatabase(paths: paths)
            faultPlan.durationSeconds = lead + seconds + tail
            let loadPlan = faultPlan
            async let load = LoadGenerator.run(loadPlan)
            try? await Task.sleep(for: .seconds(lead))
            do {
                let closed = try await database.cutOff(instance)
                note("cut \(instance.label) off its database (role \(instance.databaseRole ?? "?") may not log in; \(closed) connection(s) closed)")
                try? await Task.sleep(for: .seconds(seconds))
            } catch {
                try? await database.reconnect(instance)
                _ = try? await load
                throw error
            }
            try await database.reconnect(instance)
            note("\(instance.label) may reach its database again")
            return Outcome(fault: ran, result: try await load, steps: steps.withLock { $0 })
        case .stopService:
            let services = try ScenarioServices(scenario: scenario, paths: paths)
            guard let name = self.service, let service = services.named(name) else {
                let names = services.all.map(\.name).joined(separator: ", ")
                throw LabError("scenario \(scenario.number) has no service '\(self.service ?? "")' (its services: \(names))")
            }
            faultPlan.durationSeconds = lead + seconds + tail
            let loadPlan = faultPlan
            async let load = LoadGenerator.run(loadPlan)
            try? await Task.sleep(for: .seconds(lead))
            note(await service.stop() ?? "\(name) was not running")
            try? await Task.sleep(for: .seconds(seconds))
            do {
                note(try await service.start(build: false))
            } catch {
                _ = try? await load
                throw error
            }
            return Outcome(fault: ran, result: try await load, steps: steps.withLock { $0 })
        case .deploy:
            // As long as the deploy takes, plus a few seconds either side; at most 3 minutes.
            faultPlan.durationSeconds = 180
            let loadPlan = faultPlan
            let finishedAt = Mutex<ContinuousClock.Instant?>(nil)
            async let load = LoadGenerator.run(
                loadPlan,
                stopEarly: {
                    finishedAt.withLock { $0 }.map { ContinuousClock.now - $0 > .seconds(tail) } ?? false
                }
            )
            try? await Task.sleep(for: .seconds(lead))
            do {
                let took = try await RollingRestart(scenario: scenario, paths: paths).run(log: note)
                note(String(format: "deploy finished in %.1f s", took.seconds))
            } catch {
                finishedAt.withLock { $0 = .now }
                _ = try? await load
                throw error
            }
            finishedAt.withLock { $0 = .now }
            return Outcome(fault: ran, result: try await load, steps: steps.withLock { $0 })
        }
    }

    static func instance(_ name: String?, of scenario: Scenario) throws -> ServerInstance {
        guard let instance = scenario.allInstances.first(where: { $0.name == name }) else {
            let names = scenario.allInstances.compactMap(\.name).joined(separator: ", ")
            throw LabError("scenario \(scenario.number) has no instance '\(name ?? "")' (its instances: \(names.isEmpty ? "none" : names))")
        }
        return instance
    }
}
