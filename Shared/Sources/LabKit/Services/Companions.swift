import Foundation

/// The programs a scenario's server needs beside it (`companions` in `lab.json`), for example scenario 03's
/// stand-in for a remote payment provider.
///
/// Each one runs in the background like `./lab start` servers do (``BackgroundProcess`` named after its
/// product in `.lab/<scenario>/`), is started before the server by `./lab up`, `watch`, `start` and the
/// lesson tests, and keeps running across server restarts until `./lab stop` or `./lab down`.
public struct Companions: Sendable {
    public let scenario: Scenario
    public let paths: LabPaths

    public init(scenario: Scenario, paths: LabPaths) {
        self.scenario = scenario
        self.paths = paths
    }

    var all: [Scenario.Companion] { self.scenario.manifest.companions ?? [] }

    func process(_ companion: Scenario.Companion) -> BackgroundProcess {
        BackgroundProcess(name: companion.product, folder: self.paths.runtime(for: self.scenario))
    }

    /// Starts every companion that is not running yet and waits until it accepts connections.
    /// - Parameter build: build it first (lab commands); false uses the last build (tests, which run inside
    ///   `swift test` and may not build).
    /// - Returns: one line per companion for the learner.
    public func start(build: Bool) async throws -> [String] {
        var lines: [String] = []
        for companion in self.all {
            let process = self.process(companion)
            if let (pid, _) = process.running() {
                lines.append("\(companion.product) already running on port \(companion.port) (pid \(pid)): \(companion.about)")
                continue
            }
            if LocalHTTP.isListening(port: companion.port) {
                throw LabError(
                    "port \(companion.port), which \(companion.product) needs, is already in use. `ss -ltnp | grep :\(companion.port)` shows which program has it."
                )
            }
            let builder = SwiftBuild(paths: self.paths)
            let binary =
                build
                ? try builder.build(self.scenario, product: companion.product, streamOutput: false)
                : try builder.install(self.scenario, product: companion.product)
            var environment = ProcessInfo.processInfo.environment
            environment["HTTP_HOST"] = "127.0.0.1"
            environment["HTTP_PORT"] = String(companion.port)
            for (key, value) in companion.environment ?? [:] { environment[key] = value }
            let child = try process.start([binary.path], environment: environment, tag: companion.product)
            let deadline = ContinuousClock.now + .seconds(30)
            while !LocalHTTP.isListening(port: companion.port) {
                if child.exitStatusIfExited() != nil || ContinuousClock.now > deadline {
                    _ = kill(child.pid, SIGKILL)
                    process.forget()
                    throw LabError("\(companion.product) did not start. Last lines of \(process.logFile.path):\n\(process.logTail())")
                }
                try await Task.sleep(for: .milliseconds(100))
            }
            lines.append("\(companion.product) running on port \(companion.port) (pid \(child.pid)): \(companion.about)")
        }
        return lines
    }

    /// Stops the running companions. Returns one line per companion stopped.
    public func stop() async -> [String] {
        var lines: [String] = []
        for companion in self.all where await self.process(companion).stop() {
            lines.append("stopped \(companion.product) of \(self.scenario.folderName)")
        }
        return lines
    }

    /// `product: running (pid)` or `stopped`, for `./lab status`.
    public func statusLines() -> [String] {
        self.all.map { companion in
            let state = self.process(companion).running().map { "running on port \(companion.port) (pid \($0.pid))" } ?? "stopped"
            return "\(companion.product): \(state)"
        }
    }
}
