import ArgumentParser
import Foundation
import Hummingbird
import LabKit
import LabPanel
import Logging

/// `./lab panel`: the exercise panel in the browser, on the same engine as these commands. `./lab up` starts it
/// in the background (``PanelProcess``); run it yourself to see its log or to choose another port.
struct PanelCommand: LabCommand {
    static let configuration = CommandConfiguration(
        commandName: "panel",
        abstract: "The exercise panel in your browser: the guide, Run check, hints, live graphs, progress, the reveal (http://127.0.0.1:8090)."
    )
    @Option(help: "The address to listen on. 127.0.0.1 keeps it on this machine; anything else lets the network start checks.")
    var host = "127.0.0.1"
    @Option(help: "The port to listen on.") var port = PanelConfiguration.defaultPort

    func execute() async throws {
        let paths = try LabPaths.discover()
        guard (1...65535).contains(self.port) else { throw LabError("--port must be between 1 and 65535, not \(self.port)") }
        guard !ServerProcess.isListening(port: self.port) else {
            throw LabError(
                "port \(self.port) is taken (`ss -ltnp | grep :\(self.port)` says by what). If it is the panel, it already runs: "
                    + "open http://127.0.0.1:\(self.port). Otherwise choose another port: ./lab panel --port 8091"
            )
        }
        let configuration = PanelConfiguration(
            paths: paths,
            host: self.host,
            port: self.port,
            labExecutable: PanelProcess.labExecutable,
            serverState: { scenarioState($0, paths: paths) }
        )
        let panel = try await Panel(configuration: configuration)
        var logger = Logger(label: "lab.panel")
        logger.logLevel = .notice
        if self.host != "127.0.0.1" && self.host != "localhost" {
            printStep("listening on \(self.host): anyone who reaches this address can start checks and read your progress")
        }
        printStep("exercise panel: http://127.0.0.1:\(self.port)  (Ctrl-C stops it)")
        try await panel.application(logger: logger).runService()
    }
}

/// The panel running in the background beside a scenario's server: `./lab up` starts it, `./lab down` stops it.
enum PanelProcess {
    static func process(paths: LabPaths) -> BackgroundProcess {
        BackgroundProcess(name: "panel", folder: paths.state)
    }

    /// This very `lab` executable: the panel runs checks with it, and `./lab up --detach` its watch loop.
    static var labExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Starts the panel unless it runs, and returns the line to print: its address for `scenario`.
    /// `LAB_PANEL=off` leaves it out (the tests that run `./lab up` many times).
    static func ensureRunning(paths: LabPaths, scenario: Scenario) -> String? {
        guard ProcessInfo.processInfo.environment["LAB_PANEL"] != "off" else { return nil }
        let background = self.process(paths: paths)
        let address = "http://127.0.0.1:\(PanelConfiguration.defaultPort)/scenarios/\(scenario.number)"
        if background.running() != nil { return "exercise panel: \(address)" }
        if ServerProcess.isListening(port: PanelConfiguration.defaultPort) {
            return
                "exercise panel not started: port \(PanelConfiguration.defaultPort) is taken by another program (./lab panel --port 8091 runs it elsewhere)"
        }
        do {
            _ = try background.start([self.labExecutable, "panel"], in: paths.root)
        } catch {
            return "exercise panel not started: \(error)"
        }
        return "exercise panel: \(address)  (the guide, Run check, hints and live graphs in your browser)"
    }
}
