import Foundation
import LabCore
import LabKit
import LoadTestKit

/// `./lab up --detach`: watch mode (``WatchMode``) running in the background, for the Codespaces post-start
/// step, which must return while the server keeps running and rebuilding. Its output goes to
/// `.lab/<scenario>/watch.log` (`./lab logs`); `./lab stop` ends it.
struct DetachedWatch {
    let paths: LabPaths
    let scenario: Scenario
    let product: String
    let instances: [ServerInstance]

    static func process(_ scenario: Scenario, paths: LabPaths) -> BackgroundProcess {
        BackgroundProcess(name: "watch", folder: paths.runtime(for: scenario))
    }

    /// Starts the watch loop unless it already runs, then waits until the server answers `/health` (the
    /// first build may take minutes) or the loop gives up. Safe to run again: a running one is kept.
    func start() async throws {
        let watch = Self.process(self.scenario, paths: self.paths)
        if let (_, running) = watch.running() {
            printStep("already running: " + (scenarioState(self.scenario, paths: self.paths) ?? "\(running) in watch mode"))
            if ServerProcess.healthStatus(port: self.scenario.manifest.port) != 200 {
                say(
                    "  Its output says why: ./lab logs \(self.scenario.number). To start over: ./lab stop \(self.scenario.number), then run this again."
                )
            }
            if running != self.product {
                say("  (to switch to \(self.product): ./lab stop \(self.scenario.number), then run this again)")
            }
            return
        }
        try ServerProcess(scenario: self.scenario, paths: self.paths).ensurePortsFree(self.instances)
        let lab = PanelProcess.labExecutable
        var arguments = [lab, "watch", self.scenario.number]
        if self.product == "server-fixed" { arguments.append("--fixed") }
        if self.scenario.hasLoadBalancer { arguments += ["--instances", String(self.instances.count)] }
        let child = try watch.start(arguments, tag: self.product)
        printStep("building and starting \(self.product) in watch mode (log: ./lab logs \(self.scenario.number))...")
        let started = ContinuousClock.now
        var lastNote = started
        while ServerProcess.healthStatus(port: self.scenario.manifest.port) != 200 {
            if child.exitStatusIfExited() != nil {
                watch.forget()
                throw LabError("watch mode stopped before the server answered. Last lines of \(watch.logFile.path):\n\(watch.logTail(lines: 25))")
            }
            if ContinuousClock.now - lastNote > .seconds(30) {
                lastNote = ContinuousClock.now
                say("  still building (\(Int((lastNote - started).seconds)) s)...")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let what =
            self.instances.count > 1
            ? "\(self.instances.count) instances of \(self.product) ("
                + self.instances.map { "\($0.name ?? "") on :\($0.port)" }.joined(separator: ", ")
                + ") are running behind \(self.scenario.loadBalancerName) on \(self.scenario.serverURL)"
            : "\(self.product) is running on \(self.scenario.serverURL)"
        printStep("\(what), rebuilt and restarted whenever a file under Sources/ changes")
        say(
            """
              Follow its output:  ./lab logs \(self.scenario.number) --follow
              Load it:            ./lab load \(self.scenario.number)
              Stop it:            ./lab stop \(self.scenario.number)
            """
        )
    }
}
