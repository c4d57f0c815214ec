import ArgumentParser
import Foundation
import LabKit
import LabPanel

struct Status: LabCommand {
    static let configuration = CommandConfiguration(abstract: "What is running: PostgreSQL, each scenario's server and services, Prometheus.")

    func execute() async throws {
        let paths = try LabPaths.discover()
        let scenarios = try paths.scenarioFolders().map { try Scenario(folder: $0) }
        let services = try scenarios.map { try ScenarioServices(scenario: $0, paths: paths) }
        // The services every scenario shares (PostgreSQL) once, at the top.
        var shared: [String] = []
        for service in services.flatMap(\.all) where service.isShared && !shared.contains(service.name) {
            shared.append(service.name)
            say(service.status())
        }
        // What each scenario runs itself (watch mode here or in another terminal, or ./lab start), so a
        // port answered by one scenario's server is not taken for another's (most share 8080).
        let own = scenarios.map { scenarioState($0, paths: paths) }
        for (index, scenario) in scenarios.enumerated() {
            let line: String
            if let state = own[index] {
                line = state
            } else if ServerProcess.isListening(port: scenario.manifest.port) {
                let owner = scenarios.indices.first { other in
                    own[other] != nil && other != index && scenarios[other].manifest.port == scenario.manifest.port
                }
                line =
                    owner.map { "no server running (port \(scenario.manifest.port) is \(scenarios[$0].folderName)'s, which runs)" }
                    ?? "no server of the lab running, but another program answers on \(scenario.serverURL) (`ss -ltnp | grep :\(scenario.manifest.port)`)"
            } else {
                line = "no server running"
            }
            say("\(scenario.folderName): \(line)")
            for service in services[index].all where !service.isShared { say("  \(service.status())") }
        }
        say(Observability(paths: paths).statusLine())
        say(
            PanelProcess.process(paths: paths).running().map { "exercise panel: http://127.0.0.1:\(PanelConfiguration.defaultPort) (pid \($0.pid))" }
                ?? "exercise panel: not running in the background (./lab up starts it; ./lab panel runs it here)"
        )
    }
}

struct Down: LabCommand {
    static let configuration = CommandConfiguration(abstract: "Stop every background server and service, Prometheus and PostgreSQL.")

    func execute() async throws {
        let paths = try LabPaths.discover()
        let scenarios = try paths.scenarioFolders().map { try Scenario(folder: $0) }
        for scenario in scenarios {
            for line in await stopScenario(scenario, paths: paths) { printStep(line) }
        }
        // The services every scenario shares (PostgreSQL) last, once each.
        var stopped: Set<String> = []
        for scenario in scenarios {
            for service in try ScenarioServices(scenario: scenario, paths: paths).all where service.isShared && stopped.insert(service.name).inserted
            {
                if let line = await service.stop() { printStep(line) }
            }
        }
        if let line = await Observability(paths: paths).stop() { printStep(line) }
        if await PanelProcess.process(paths: paths).stop() { printStep("stopped the exercise panel") }
    }
}
