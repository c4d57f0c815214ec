import ArgumentParser
import Foundation
import LabKit

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "What is running: PostgreSQL, each scenario's server, Prometheus.")
    func run() async throws {
        try await reportingErrors {
            let paths = try LabPaths.discover()
            say(try databaseStatusLine(paths: paths))
            let scenarios = try paths.scenarioFolders().map { try Scenario(folder: $0) }
            // What each scenario runs itself (watch mode here or in another terminal, or ./lab start), so a
            // port answered by one scenario's server is not taken for another's (most share 8080).
            let own = scenarios.map { scenarioState($0, paths: paths) }
            for (scenario, state) in zip(scenarios, own) {
                let server = ServerProcess(scenario: scenario, paths: paths)
                let line: String
                if let state {
                    line = state
                } else if ServerProcess.isListening(port: scenario.manifest.port) {
                    let owner = zip(scenarios, own).first { other, state in
                        state != nil && other.folderName != scenario.folderName && other.manifest.port == scenario.manifest.port
                    }?.0
                    line =
                        owner.map { "no server running (port \(scenario.manifest.port) is \($0.folderName)'s, which runs)" }
                        ?? "no server of the lab running, but another program answers on \(scenario.serverURL) (`ss -ltnp | grep :\(scenario.manifest.port)`)"
                } else {
                    line = "no server running"
                }
                say("\(scenario.folderName): \(line)")
                for line in Companions(scenario: scenario, paths: paths).statusLines() { say("  \(line)") }
                if let line = server.loadBalancer.statusLine() { say("  \(line)") }
            }
            for line in Observability(paths: paths).statusLines() { say(line) }
        }
    }
}

struct Down: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop every background server, Prometheus and PostgreSQL.")
    func run() async throws {
        try await reportingErrors {
            let paths = try LabPaths.discover()
            for folder in paths.scenarioFolders() {
                let scenario = try Scenario(folder: folder)
                for line in await stopScenario(scenario, paths: paths) { printStep(line) }
            }
            for line in await Observability(paths: paths).stop() { printStep(line) }
            if !PostgresCluster.isExternal, let cluster = try? PostgresCluster(paths: paths, install: false) {
                try cluster.stop()
                printStep("PostgreSQL stopped")
            }
        }
    }
}

/// What the lab runs for `scenario` itself, in words, or nil when it runs nothing: watch mode (with what
/// its server is doing) or a server started with `./lab start`.
func scenarioState(_ scenario: Scenario, paths: LabPaths) -> String? {
    let server = ServerProcess(scenario: scenario, paths: paths)
    let watching: (where: String, pid: Int32, product: String)? =
        DetachedWatch.process(scenario, paths: paths).running().map { ("in the background", $0.pid, $0.tag) }
        ?? WatchMode.process(scenario, paths: paths).running().map { ("in another terminal", $0.pid, $0.tag) }
    if let watching {
        let answers = ServerProcess.healthStatus(port: scenario.manifest.port) == 200
        let state = WatchState(scenario: scenario, paths: paths).read() ?? "starting"
        let detail = state == "serving" && !answers ? "but nothing answers on \(scenario.serverURL)" : state
        return "\(watching.product) in watch mode \(watching.where) (pid \(watching.pid)) on \(scenario.serverURL): \(detail)"
    }
    guard let (pid, product) = server.running() else { return nil }
    let instances = server.runningInstances()
    return instances.count > 1 || scenario.hasLoadBalancer
        ? "\(product) running in the background: " + instances.map { "\($0.instance.label) pid \($0.pid)" }.joined(separator: ", ")
        : "\(product) running in the background (pid \(pid)) on \(scenario.serverURL)"
}
