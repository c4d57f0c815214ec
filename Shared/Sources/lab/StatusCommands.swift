import ArgumentParser
import Foundation
import LabKit

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "What is running: PostgreSQL, each scenario's server, Prometheus.")
    func run() async throws {
        try await reportingErrors {
            let paths = try LabPaths.discover()
            say(try databaseStatusLine(paths: paths))
            for folder in paths.scenarioFolders() {
                let scenario = try Scenario(folder: folder)
                let server = ServerProcess(scenario: scenario, paths: paths)
                let state: String
                if let (pid, product) = DetachedWatch.process(scenario, paths: paths).running() {
                    state = "\(product) running in watch mode in the background (pid \(pid)) on \(scenario.serverURL)"
                } else if let (pid, product) = WatchMode.process(scenario, paths: paths).running() {
                    state = "\(product) running in watch mode in another terminal (pid \(pid)) on \(scenario.serverURL)"
                } else if let (pid, product) = server.running() {
                    let instances = server.runningInstances()
                    state =
                        instances.count > 1 || scenario.hasLoadBalancer
                        ? "\(product) running in the background: "
                            + instances.map { "\($0.instance.label) pid \($0.pid)" }.joined(separator: ", ")
                        : "\(product) running in the background (pid \(pid)) on \(scenario.serverURL)"
                } else if ServerProcess.isListening(port: scenario.manifest.port) {
                    state =
                        "something answers on \(scenario.serverURL): a ./lab up in another terminal, of this or another scenario (they share the port)"
                } else {
                    state = "no server running"
                }
                say("\(scenario.folderName): \(state)")
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
