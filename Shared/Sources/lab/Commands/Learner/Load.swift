import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

struct Load: LabCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send the scenario's standard load to its server and check the targets (exit 0 = all met, 1 = missed)."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Option(help: "Virtual users (default: the scenario's).") var users: Int?
    @Option(help: "Seconds of load (default: the scenario's).") var duration: Double?
    @Option(help: "Seconds before a request counts as timed out (default: the scenario's).") var timeout: Double?
    @Option(help: "Server to load (default: the scenario's server).") var url: String?
    @Option(help: "Also save the results to this file, for ./lab compare.") var json: String?
    @Option(help: "Send only this request of the mix, or this journey (its name in the verdict, e.g. \"import 20 orders\"); repeatable.")
    var only: [String] = []
    @Flag(help: "Send every user's requests from 127.0.0.1 (by default each user has its own loopback address, like real users).")
    var singleSourceAddress = false

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        if self.url == nil { try ensureNotAnotherScenariosServer(scenario, paths: paths) }
        // A server still building (or stopped) would only give a wall of connection errors and a FAIL.
        if self.url == nil, ServerProcess.healthStatus(port: scenario.manifest.port) != 200 {
            throw LabError(
                "nothing answers on \(scenario.serverURL)/health. Start the server first (./lab up \(scenario.number) in another terminal) "
                    + "and wait for its ✅ line; after a change, wait for \"restarted\"."
            )
        }
        var plan = try await scenario.loadPlan(url: self.url, database: LabDatabase(paths: paths))
        if let users = self.users { plan.users = users }
        if let duration = self.duration { plan.durationSeconds = duration }
        if let timeout = self.timeout { plan.timeoutSeconds = timeout }
        plan.singleSourceAddress = self.singleSourceAddress
        if !self.only.isEmpty {
            let names = scenario.manifest.load.names
            for name in self.only where !names.contains(name) {
                throw LabError(
                    "no request or journey named \"\(name)\" in scenario \(scenario.number)'s load; the names are: \(names.joined(separator: ", "))"
                )
            }
            plan = plan.keepingOnly(self.only)
        }
        plan = plan.shortenedForDocsCheck()
        do {
            try plan.validate()
        } catch {
            throw LabError(error.description)
        }
        ProgressStore(paths: paths).update(scenario.number) { $0.firstLoadTest = $0.firstLoadTest ?? Date() }
        // The scenario's own servers: read each instance's /metrics (the load balancer has none).
        let servers = self.url == nil ? scenario.allInstances : nil
        let database = self.url == nil ? (LabDatabase(paths: paths), scenario) : nil
        let status = try await LoadTestRunner.run(plan, targets: scenario.manifest.targets, jsonPath: self.json, servers: servers, database: database)
        if !self.only.isEmpty {
            say(
                "\n(Only \(self.only.map { "\"\($0)\"" }.joined(separator: ", ")) was sent, so the verdict is about that alone: "
                    + "./lab load \(scenario.number) without --only, or ./lab check \(scenario.number), sends the whole mix.)"
            )
        }
        if status != 0 { throw ExitCode(status) }
    }
}

struct Compare: LabCommand {
    static let configuration = CommandConfiguration(abstract: "Show two saved load-test results (--json files) side by side.")
    @Argument(help: "The earlier result, e.g. before.loadtest.json") var before: String
    @Argument(help: "The later result, e.g. after.loadtest.json") var after: String

    func execute() async throws {
        say(try LoadTestRunner.compare(beforePath: self.before, afterPath: self.after))
    }
}
