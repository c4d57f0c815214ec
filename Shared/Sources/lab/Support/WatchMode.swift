import Foundation
import LabCore
import LabKit
import LabPanel
import LoadTestKit
import Synchronization

/// Runs a scenario's server in the foreground and, like nodemon, rebuilds and restarts it when a file under
/// the scenario's `Sources/` changes. A failed build leaves the previous server running and shows the error.
///
/// A scenario with a load balancer runs several instances and the load balancer in front of them (a service
/// that starts after the server); a rebuild restarts the instances one at a time (a rolling restart), so the
/// load balancer keeps sending requests to the others.
struct WatchMode {
    let paths: LabPaths
    let scenario: Scenario
    let product: String
    let databaseURL: DatabaseURL
    let instances: [ServerInstance]

    /// This process, while it runs, so `./lab stop` in another terminal can stop it (SIGTERM, like Ctrl-C).
    static func process(_ scenario: Scenario, paths: LabPaths) -> BackgroundProcess {
        RollingRestart.watchLoop(scenario, paths: paths)
    }

    func run() async throws {
        Signals.install()
        Signals.installRedeploy()
        let marker = Self.process(self.scenario, paths: self.paths)
        try? marker.recordCurrentProcess(tag: self.product)
        let state = WatchState(scenario: self.scenario, paths: self.paths)
        defer {
            marker.forget()
            state.clear()
        }
        let builder = SwiftBuild(paths: self.paths)
        let server = ServerProcess(scenario: self.scenario, paths: self.paths)
        try server.ensurePortsFree(self.instances)
        let firstBuild = !FileManager.default.fileExists(atPath: self.paths.scratch.appendingPathComponent("release/\(self.product)").path)
        printStep(
            "building \(self.product) (release\(firstBuild ? "; the very first build compiles the dependencies and takes several minutes" : ""))..."
        )
        state.record("building \(self.product)")
        var binary = try await builder.build(self.scenario, product: self.product, streamOutput: true)
        try server.ensurePortsFree(self.instances)
        // One child per instance; nil while an instance is down (it exited, and waits for the next save).
        var children: [Running?] = Array(repeating: nil, count: self.instances.count)
        for index in self.instances.indices { children[index] = await self.start(binary, index, server: server) }
        let services = try ScenarioServices(scenario: self.scenario, paths: self.paths)
        do {
            for line in try await ScenarioServices.start(services.afterServer, build: true) { printStep(line) }
        } catch {
            for child in children.compactMap({ $0 }) { await self.stop(child.process) }
            throw error
        }
        state.record(children)
        if children.allSatisfy({ $0 != nil }) { self.printNextSteps() }

        let watcher = SourceWatcher(folder: self.scenario.folder.appendingPathComponent("Sources"))
        var snapshot = watcher.snapshot()
        while !Signals.shouldStop {
            let running = children
            let exited = Mutex<(index: Int, status: Int32)?>(nil)
            guard
                let changed = await watcher.waitForChange(
                    from: snapshot,
                    shouldStop: {
                        if Signals.shouldStop || Signals.redeployPending { return true }
                        for (index, child) in running.enumerated() {
                            if let status = child?.process.exitStatusIfExited() {
                                exited.withLock { $0 = (index, status) }
                                return true
                            }
                        }
                        return false
                    }
                )
            else {
                if !Signals.shouldStop, Signals.takeRedeploy() {
                    children = await self.deploy(binary, children, server: server, state: state)
                    continue
                }
                if let (index, status) = exited.withLock({ $0 }), !Signals.shouldStop, let child = children[index] {
                    children[index] = nil
                    // A server that ran for a while and then died (killed, out of memory...) is started again,
                    // like a supervisor would; one that dies right after starting waits for a fix.
                    let ranFor = ContinuousClock.now - child.started
                    if ranFor > .seconds(10) {
                        printStep("\(self.product)\(self.name(index)) exited (status \(status)) after \(Int(ranFor.seconds)) s; starting it again.")
                        children[index] = await self.start(binary, index, server: server)
                    } else {
                        printStep(
                            "\(self.product)\(self.name(index)) exited (status \(status)) \(Int(ranFor.seconds)) s after it started. "
                                + "Fix the code and save to rebuild, or Ctrl-C to quit."
                        )
                    }
                    state.record(children, exited: (index, status))
                }
                continue
            }
            snapshot = changed
            let started = ContinuousClock.now
            printStep("change detected, rebuilding \(self.product)...")
            state.record("rebuilding \(self.product)")
            do {
                binary = try await builder.build(self.scenario, product: self.product, streamOutput: false)
            } catch let failure as SwiftBuild.BuildFailed {
                say(failure.description)
                let anyRunning = children.contains { $0 != nil }
                printStep(anyRunning ? "the previous server is still running; fix the error and save again." : "fix the error and save again.")
                state.record(children, buildFailed: true)
                continue
            }
            // One instance at a time: while one restarts, nginx sends its requests to the others.
            for index in self.instances.indices {
                if let old = children[index] { await self.stop(old.process) }
                children[index] = await self.start(binary, index, server: server)
            }
            state.record(children)
            guard children.allSatisfy({ $0 != nil }) else { continue }
            let how = self.instances.count > 1 ? ", one instance at a time" : ""
            printStep("restarted in \(String(format: "%.1f", (ContinuousClock.now - started).seconds)) s\(how) (save → serving again)")
        }
        for child in children.compactMap({ $0 }) { await self.stop(child.process) }
        for service in services.afterServer.reversed() { _ = await service.stop() }
        printStep("stopped.")
    }

    /// `./lab deploy` (SIGHUP): the same build restarted one instance at a time, each stopped with SIGTERM and
    /// given ``RollingRestart/settle`` to rejoin the load balancer before the next one goes.
    private func deploy(_ binary: URL, _ current: [Running?], server: ServerProcess, state: WatchState) async -> [Running?] {
        var children = current
        let settle = RollingRestart(scenario: self.scenario, paths: self.paths).settle
        printStep("deploy: restarting \(self.instances.count) instance(s) one at a time")
        for index in self.instances.indices {
            let label = self.instances[index].label
            state.record("\(RollingRestart.deployingState): stopping \(label) (SIGTERM), \(index + 1) of \(self.instances.count)")
            if let old = children[index] {
                let stopping = ContinuousClock.now
                await self.stop(old.process)
                printStep(String(format: "deploy: %@ exited %.1f s after SIGTERM", label, (ContinuousClock.now - stopping).seconds))
            }
            state.record("\(RollingRestart.deployingState): starting \(label) again, \(index + 1) of \(self.instances.count)")
            children[index] = await self.start(binary, index, server: server)
            guard children[index] != nil else {
                state.record(children)
                return children
            }
            if index < self.instances.count - 1 {
                state.record("\(RollingRestart.deployingState): \(label) answers; \(Int(settle.seconds)) s for the load balancer to send it traffic")
                try? await Task.sleep(for: settle)
            }
        }
        printStep("deploy: done, every instance restarted")
        state.record("\(RollingRestart.deployedState): serving (every instance restarted one at a time)")
        return children
    }

    /// A running instance and when it started.
    struct Running {
        var process: ChildProcess
        var started: ContinuousClock.Instant
    }

    /// ` (instance a)` when several instances run, else nothing.
    private func name(_ index: Int) -> String {
        self.instances[index].name.map { " (instance \($0))" } ?? ""
    }

    /// Starts one instance as a child sharing this terminal, and waits until it answers `/health`. Returns nil
    /// (having said why) when it exits or does not answer: a learner's code that compiles can still crash at
    /// start-up, and watch mode keeps watching for the fix.
    private func start(_ binary: URL, _ index: Int, server: ServerProcess) async -> Running? {
        let instance = self.instances[index]
        let child: ChildProcess
        do {
            child = try ChildProcess.spawn(
                [binary.path],
                in: try server.workingDirectory(instance),
                environment: server.environment(databaseURL: self.databaseURL, instance: instance)
            )
        } catch {
            printStep("could not start \(self.product)\(self.name(index)): \(error)")
            return nil
        }
        do {
            try await server.waitUntilHealthy(instance, timeout: .seconds(30)) { child.exitStatusIfExited() == nil }
            return Running(process: child, started: .now)
        } catch {
            await self.stop(child)
            printStep(
                "\(self.product)\(self.name(index)) did not start (\(error)); its output is above. Fix the code and save to rebuild, or Ctrl-C to quit."
            )
            return nil
        }
    }

    /// Graceful stop (in-flight requests finish), then reap the process.
    private func stop(_ child: ChildProcess) async {
        await ServerProcess.terminate(pid: child.pid)
        _ = child.exitStatusIfExited()
    }

    private func printNextSteps() {
        let n = self.scenario.number
        let several = self.instances.count > 1
        let what =
            several
            ? "\(self.instances.count) instances of \(self.product) ("
                + self.instances.map { "\($0.name ?? "") on :\($0.port)" }.joined(separator: ", ")
                + "), behind \(self.scenario.loadBalancerName) on \(self.scenario.serverURL)"
            : "\(self.product) is running on \(self.scenario.serverURL)"
        say(
            """

            ✅ \(what)  (database \(self.databaseURL))
               Watching \(self.scenario.folderName)/Sources/ - save a file and the server rebuilds and restarts.

            The exercise panel (guide, Run check, hints, live graphs): http://127.0.0.1:\(PanelConfiguration.defaultPort)/scenarios/\(n)
            Next, in a second terminal:
               ./lab load \(n)          send the standard load (\(self.scenario.manifest.load.users) users, \(Int(self.scenario.manifest.load.durationSeconds)) s) and get a verdict
               ./lab psql \(n)          open psql on the scenario database (try EXPLAIN ANALYZE)
               curl -s \(several ? "http://127.0.0.1:\(self.instances[0].port)" : self.scenario.serverURL)/metrics
            Then read \(self.scenario.folderName)/SCENARIO.md. Ctrl-C here stops the server.

            """
        )
    }
}
