import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

/// `./lab deploy 06`: a rolling restart of the instances under the standard load, and how many requests it
/// cost. A deploy that users notice is a deploy teams stop doing on Friday afternoons, then at all.
struct Deploy: LabCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Deploy under load: restart the instances behind the load balancer one at a time (SIGTERM, as a platform does) "
            + "while the standard load runs, and count the requests that failed (exit 0 = none)."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Restart the instances without sending load.") var noLoad = false

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        guard scenario.hasLoadBalancer else {
            throw LabError("scenario \(scenario.number) runs one server, not instances behind a load balancer: there is nothing to roll")
        }
        try ensureNotAnotherScenariosServer(scenario, paths: paths)
        guard ServerProcess.healthStatus(port: scenario.manifest.port) == 200 else {
            throw LabError("nothing answers on \(scenario.serverURL)/health. Start the scenario first (./lab up \(scenario.number)), then deploy.")
        }
        if self.noLoad {
            printStep("deploying: every instance restarted, one at a time")
            let took = try await RollingRestart(scenario: scenario, paths: paths).run { say("  \($0)") }
            printStep(String(format: "deployed in %.1f s", took.seconds))
            return
        }
        try await runUnderLoad(
            InstanceFault(kind: .deploy),
            scenario: scenario,
            paths: paths,
            what: "deploying under the standard load",
            success: "no request failed during the deploy."
        )
    }
}

/// `./lab fault 06 pause b`: one instance paused or cut off its database under the standard load, or `./lab fault
/// 07 stop replica`: one of the scenario's services stopped and started again, as the check's fault phases do, to
/// watch it happen (HAProxy's statistics page, the logs) as often as needed.
struct Fault: LabCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Under the standard load, pause one instance (SIGSTOP, then SIGCONT), cut it off its database, or stop one of the "
            + "scenario's services for a few seconds, and count the requests that failed (exit 0 = fewer than 0.1%).",
        discussion: "Example: ./lab fault 06 pause b --seconds 10, ./lab fault 06 cut-database a, or ./lab fault 07 stop replica."
    )
    enum Kind: String, ExpressibleByArgument, CaseIterable {
        case pause
        case cutDatabase = "cut-database"
        case stop
    }
    @OptionGroup var scenario: ScenarioArgument
    @Argument(help: "pause (the instance stops answering), cut-database (it loses its database), or stop (a service goes away).")
    var kind: Kind
    @Argument(help: "The instance (a, b or c), or for stop the service (./lab status names them: replica).") var instance: String
    @Option(help: "How long the fault lasts.") var seconds: Double = 6

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        guard scenario.hasLoadBalancer || self.kind == .stop else {
            throw LabError("scenario \(scenario.number) runs one server; faults of one instance are for scenarios with several")
        }
        guard (1...60).contains(self.seconds) else { throw LabError("--seconds must be between 1 and 60") }
        if self.kind == .stop {
            let services = try ScenarioServices(scenario: scenario, paths: paths)
            guard let service = services.named(self.instance), !service.isShared else {
                let own = services.all.filter { !$0.isShared }.map(\.name)
                throw LabError(
                    "scenario \(scenario.number) has no service '\(self.instance)' of its own to stop"
                        + (own.isEmpty ? "" : " (its own: \(own.joined(separator: ", ")))")
                )
            }
        }
        try ensureNotAnotherScenariosServer(scenario, paths: paths)
        guard ServerProcess.healthStatus(port: scenario.manifest.port) == 200 else {
            throw LabError("nothing answers on \(scenario.serverURL)/health. Start the scenario first (./lab up \(scenario.number)).")
        }
        let fault: InstanceFault
        let what: String
        switch self.kind {
        case .pause:
            fault = InstanceFault(kind: .pause, instance: self.instance, seconds: self.seconds)
            what = "pausing instance \(self.instance)"
        case .cutDatabase:
            fault = InstanceFault(kind: .cutDatabase, instance: self.instance, seconds: self.seconds)
            what = "cutting instance \(self.instance) off its database"
        case .stop:
            fault = InstanceFault(kind: .stopService, seconds: self.seconds, service: self.instance)
            what = "stopping \(self.instance)"
        }
        try await runUnderLoad(
            fault,
            scenario: scenario,
            paths: paths,
            what: "\(what) for \(Int(self.seconds)) s under the standard load",
            success: "99.9% or more of the requests succeeded."
        )
    }
}

/// Runs `fault` under the scenario's standard load, prints the report and the fault's line; exit 1 when it
/// cost requests (a deploy: any; another fault: 0.1% or more).
private func runUnderLoad(_ fault: InstanceFault, scenario: Scenario, paths: LabPaths, what: String, success: String) async throws {
    let plan = try await scenario.loadPlan(database: LabDatabase(paths: paths)).shortenedForDocsCheck()
    printStep("\(what) (\(plan.users) users)")
    let outcome = try await fault.run(scenario: scenario, paths: paths, plan: plan) { say("  \($0)") }
    say("")
    say(LoadReport.render(outcome.result, targets: scenario.manifest.targets))
    say("")
    say(outcome.render())
    let passed = fault.kind == .deploy ? outcome.failed == 0 : outcome.failedPercent < 0.1
    if passed {
        say("✓ PASS: \(success)")
    } else {
        say(
            "✗ \(outcome.failed.formatted()) request(s) failed. Which instance, and when? ./lab logs \(scenario.number), "
                + "and the load balancer's log: ./lab logs \(scenario.number) haproxy."
        )
        throw ExitCode(1)
    }
}
