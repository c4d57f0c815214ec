import Foundation
import LoadTestKit

/// A deploy, as a team runs one: the instances behind the load balancer restarted one at a time, each
/// stopped the way a platform stops a process (SIGTERM, then SIGKILL after a grace period), started again
/// with the same binary and settings, and given time to rejoin the balancer before the next one goes
/// (`./lab deploy 06`, the deploy phase of `./lab check 06`, the lesson test).
///
/// Whoever runs the instances does the restarting: watch mode (`./lab up`) is asked with SIGHUP and restarts
/// its own children (they stay its children, so Ctrl-C still stops them); background instances (`./lab
/// start`, the tests) are restarted here, each with the command line, environment and folder it ran with.
public struct RollingRestart: Sendable {
    public let scenario: Scenario
    public let paths: LabPaths
    /// How long to wait after an instance answers again before stopping the next one: time for the load
    /// balancer's health checks to bring it back (HAProxy: 2 checks 0.5 s apart in the reference config).
    public var settle: Duration = .seconds(3)

    public init(scenario: Scenario, paths: LabPaths) {
        self.scenario = scenario
        self.paths = paths
    }

    /// The watch loop's own record (`./lab up`, in a terminal or detached).
    public static func watchLoop(_ scenario: Scenario, paths: LabPaths) -> BackgroundProcess {
        BackgroundProcess(name: "foreground-watch", folder: paths.runtime(for: scenario))
    }

    /// Watch mode's state file (``WatchState`` in the lab tool writes it).
    static func watchStateFile(_ scenario: Scenario, paths: LabPaths) -> URL {
        paths.runtime(for: scenario).appendingPathComponent("watch-state")
    }

    /// What watch mode writes while it deploys, and once it has.
    public static let deployingState = "deploying"
    public static let deployedState = "deployed"

    /// Restarts every running instance, one at a time; `log` gets a line per step. Returns how long it took.
    /// - Throws: ``LabError`` when no instance runs, or one does not come back.
    @discardableResult
    public func run(log: @escaping @Sendable (String) -> Void = { _ in }) async throws -> Duration {
        let started = ContinuousClock.now
        if let (pid, _) = Self.watchLoop(self.scenario, paths: self.paths).running() {
            try await self.askWatchMode(pid: pid, log: log)
        } else {
            try await self.restartBackgroundInstances(log: log)
        }
        return ContinuousClock.now - started
    }

    /// SIGHUP to the watch loop, then follow its state until it says it deployed (or gives up).
    private func askWatchMode(pid: Int32, log: @Sendable (String) -> Void) async throws {
        let stateFile = Self.watchStateFile(self.scenario, paths: self.paths)
        try? FileManager.default.removeItem(at: stateFile)
        kill(pid, SIGHUP)
        log("asked watch mode (pid \(pid)) to restart the instances one at a time")
        let deadline = ContinuousClock.now + .seconds(40) * self.scenario.allInstances.count
        var last = ""
        while ContinuousClock.now < deadline {
            let state = ((try? String(contentsOf: stateFile, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if state != last, !state.isEmpty {
                log(state)
                last = state
            }
            if state.hasPrefix(Self.deployedState) { return }
            if !state.isEmpty, !state.hasPrefix(Self.deployingState) {
                throw LabError("the deploy did not finish: watch mode says \"\(state)\" (./lab logs \(self.scenario.number))")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw LabError("the deploy did not finish within \(40 * self.scenario.allInstances.count) s (./lab logs \(self.scenario.number))")
    }

    /// Restarts the background instances (pid files in `.lab/<scenario>/`) with their own command line,
    /// environment and folder, read from `/proc`.
    private func restartBackgroundInstances(log: @Sendable (String) -> Void) async throws {
        let server = ServerProcess(scenario: self.scenario, paths: self.paths)
        let running = server.runningInstances()
        guard !running.isEmpty else {
            throw LabError("no instance of scenario \(self.scenario.number) runs: start it first (./lab up \(self.scenario.number))")
        }
        for (index, (instance, pid)) in running.enumerated() {
            let launch = try Self.launch(of: pid)
            let process = server.process(instance)
            let tag = process.running()?.tag ?? ""
            log("stopping \(instance.label) (SIGTERM, pid \(pid))")
            let stopped = ContinuousClock.now
            // SIGTERM, up to 15 s to exit, then SIGKILL: what a platform does to the old version (and what watch
            // mode does to its own instances).
            await BackgroundProcess.terminate(pid: pid)
            process.forget()
            log(String(format: "%@ exited after %.1f s; starting it again", instance.label, (ContinuousClock.now - stopped).seconds))
            let child = try process.start(launch.arguments, environment: launch.environment, tag: tag, in: launch.directory)
            try await server.waitUntilHealthy(instance, timeout: .seconds(30)) { child.exitStatusIfExited() == nil }
            if index < running.count - 1 {
                log(
                    "\(instance.label) answers again (pid \(child.pid)); waiting \(Int(self.settle.seconds)) s for the load balancer to send it traffic"
                )
                try await Task.sleep(for: self.settle)
            } else {
                log("\(instance.label) answers again (pid \(child.pid))")
            }
        }
    }

    /// How a running process was started: its command line, environment and working folder.
    struct Launch {
        var arguments: [String]
        var environment: [String: String]
        var directory: URL
    }

    static func launch(of pid: Int32) throws -> Launch {
        func fields(_ file: String) throws -> [String] {
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/\(file)") else {
                throw LabError("cannot read /proc/\(pid)/\(file): the rolling restart needs Linux's /proc")
            }
            return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        }
        let arguments = try fields("cmdline")
        var environment: [String: String] = [:]
        for pair in try fields("environ") {
            guard let equals = pair.firstIndex(of: "=") else { continue }
            environment[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        let directory = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")) ?? FileManager.default.currentDirectoryPath
        guard !arguments.isEmpty else { throw LabError("process \(pid) has no command line (it exited?)") }
        return Launch(arguments: arguments, environment: environment, directory: URL(fileURLWithPath: directory))
    }
}
