import Foundation
import LabKit
import LabServer
import LoadTestKit
import Synchronization

/// Runs a scenario's server in the foreground and, like nodemon, rebuilds and restarts it when a file under
/// the scenario's `Sources/` changes. A failed build leaves the previous server running and shows the error.
struct WatchMode {
    let paths: LabPaths
    let scenario: Scenario
    let product: String
    let databaseURL: DatabaseURL

    /// This process, while it runs, so `./lab stop` in another terminal can stop it (SIGTERM, like Ctrl-C).
    static func process(_ scenario: Scenario, paths: LabPaths) -> BackgroundProcess {
        BackgroundProcess(name: "foreground-watch", folder: paths.runtime(for: scenario))
    }

    func run() async throws {
        Signals.install()
        let marker = Self.process(self.scenario, paths: self.paths)
        try? marker.recordCurrentProcess(tag: self.product)
        defer { marker.forget() }
        let builder = SwiftBuild(paths: self.paths)
        let server = ServerProcess(scenario: self.scenario, paths: self.paths)
        try server.ensurePortFree()
        for line in try await Companions(scenario: self.scenario, paths: self.paths).start(build: true) { printStep(line) }
        printStep("building \(self.product) (release; the very first build compiles the dependencies and takes several minutes)...")
        let binary = try builder.build(self.scenario, product: self.product, streamOutput: true)
        try server.ensurePortFree()
        var child: ChildProcess? = try await self.start(binary, server: server)
        self.printNextSteps()

        let watcher = SourceWatcher(folder: self.scenario.folder.appendingPathComponent("Sources"))
        var snapshot = watcher.snapshot()
        while !Signals.shouldStop {
            let running = child
            let exitStatus = Mutex<Int32?>(nil)
            guard
                let changed = await watcher.waitForChange(
                    from: snapshot,
                    shouldStop: {
                        if Signals.shouldStop { return true }
                        guard let running, let status = running.exitStatusIfExited() else { return false }
                        exitStatus.withLock { $0 = status }
                        return true
                    }
                )
            else {
                if let status = exitStatus.withLock({ $0 }), !Signals.shouldStop {
                    printStep("\(self.product) exited (status \(status)). Save a file to rebuild and start it again, or Ctrl-C to quit.")
                    child = nil
                }
                continue
            }
            snapshot = changed
            let started = ContinuousClock.now
            printStep("change detected, rebuilding \(self.product)...")
            let newBinary: URL
            do {
                newBinary = try builder.build(self.scenario, product: self.product, streamOutput: false)
            } catch let failure as SwiftBuild.BuildFailed {
                say(failure.description)
                printStep(child == nil ? "fix the error and save again." : "the previous server is still running; fix the error and save again.")
                continue
            }
            if let old = child { await self.stop(old) }
            child = try await self.start(newBinary, server: server)
            printStep("restarted in \(String(format: "%.1f", (ContinuousClock.now - started).seconds)) s (save → serving again)")
        }
        if let child { await self.stop(child) }
        printStep("stopped.")
    }

    /// Starts the server as a child sharing this terminal, and waits until it answers `/health`.
    private func start(_ binary: URL, server: ServerProcess) async throws -> ChildProcess {
        let child = try ChildProcess.spawn([binary.path], environment: server.environment(databaseURL: self.databaseURL))
        try await server.waitUntilHealthy(timeout: .seconds(30)) { child.exitStatusIfExited() == nil }
        return child
    }

    /// Graceful stop (in-flight requests finish), then reap the process.
    private func stop(_ child: ChildProcess) async {
        await ServerProcess.terminate(pid: child.pid)
        _ = child.exitStatusIfExited()
    }

    private func printNextSteps() {
        let n = self.scenario.number
        say(
            """

            ✅ \(self.product) is running on \(self.scenario.serverURL)  (database \(self.databaseURL))
               Watching \(self.scenario.folderName)/Sources/ - save a file and the server rebuilds and restarts.

            Next, in a second terminal:
               ./lab load \(n)          send the standard load (\(self.scenario.manifest.load.users) users, \(Int(self.scenario.manifest.load.durationSeconds)) s) and get a verdict
               ./lab psql \(n)          open psql on the scenario database (try EXPLAIN ANALYZE)
               curl -s \(self.scenario.serverURL)/metrics
            Then read \(self.scenario.folderName)/SCENARIO.md. Ctrl-C here stops the server.

            """
        )
    }
}
