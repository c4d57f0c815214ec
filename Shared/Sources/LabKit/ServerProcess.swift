import Foundation
import LabServer

/// Starting, stopping and finding a scenario's server, in the background (`./lab start`) or in the
/// foreground (`./lab up`, watch mode).
///
/// A background server is a ``BackgroundProcess`` named `server` in `.lab/<scenario>/`.
public struct ServerProcess: Sendable {
    public let scenario: Scenario
    public let paths: LabPaths

    public init(scenario: Scenario, paths: LabPaths) {
        self.scenario = scenario
        self.paths = paths
    }

    /// The background server's pid and log files (`server.pid`, `server.log`).
    var process: BackgroundProcess { BackgroundProcess(name: "server", folder: self.paths.runtime(for: self.scenario)) }
    public var logFile: URL { self.process.logFile }

    /// The environment a scenario server runs with: its port and its database.
    public func environment(databaseURL: DatabaseURL) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HTTP_PORT"] = String(self.scenario.manifest.port)
        environment["HTTP_HOST"] = "127.0.0.1"
        var url = "postgres://\(databaseURL.username)"
        if let password = databaseURL.password { url += ":\(password)" }
        environment["DATABASE_URL"] = url + "@\(databaseURL.host):\(databaseURL.port)/\(databaseURL.database)"
        return environment
    }

    /// The running background server: (pid, product), or nil.
    public func running() -> (pid: Int32, product: String)? {
        self.process.running().map { ($0.pid, $0.tag) }
    }

    /// Starts `binary` in the background and waits until `/health` answers.
    /// - Parameter extraEnvironment: added to the server's environment, e.g. `DATABASE_POOL_SIZE` in a test.
    public func startBackground(
        binary: URL,
        product: String,
        databaseURL: DatabaseURL,
        extraEnvironment: [String: String] = [:]
    ) async throws -> Int32 {
        if let (pid, running) = self.running() {
            throw LabError(
                "\(running) of \(self.scenario.folderName) is already running (pid \(pid)). Stop it first: ./lab stop \(self.scenario.number)"
            )
        }
        try self.ensurePortFree()
        let environment = self.environment(databaseURL: databaseURL).merging(extraEnvironment) { _, extra in extra }
        let child = try self.process.start([binary.path], environment: environment, tag: product)
        do {
            try await self.waitUntilHealthy(timeout: .seconds(30)) { child.exitStatusIfExited() == nil }
        } catch {
            _ = kill(child.pid, SIGKILL)
            self.process.forget()
            throw LabError("\(product) did not start: \(error)\nLast lines of \(self.logFile.path):\n\(self.process.logTail())")
        }
        return child.pid
    }

    /// The last `lines` lines of the background server's output.
    public func logTail(lines: Int) -> String {
        self.process.logTail(lines: lines)
    }

    /// Stops the background server gracefully (SIGTERM: in-flight requests finish), forcefully after 15 s.
    /// - Returns: false if nothing was running.
    @discardableResult
    public func stopBackground() async -> Bool {
        await self.process.stop()
    }

    /// SIGTERM, wait up to 15 s, then SIGKILL.
    public static func terminate(pid: Int32) async {
        await BackgroundProcess.terminate(pid: pid)
    }

    /// Fails with a clear message when something already listens on the scenario's port.
    public func ensurePortFree() throws {
        let port = self.scenario.manifest.port
        if Self.isListening(port: port) {
            throw LabError(
                "port \(port) is already in use. Is a server of this scenario still running in another terminal (Ctrl-C it) "
                    + "or in the background (`./lab stop \(self.scenario.number)`)? `ss -ltnp | grep :\(port)` shows which program has it."
            )
        }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func isListening(port: Int) -> Bool {
        LocalHTTP.isListening(port: port)
    }

    /// Polls `GET /health` until it answers 200, the process dies, or `timeout` passes.
    public func waitUntilHealthy(timeout: Duration, isAlive: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard isAlive() else { throw LabError("the server exited") }
            if Self.healthStatus(port: self.scenario.manifest.port) == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LabError("no answer on http://127.0.0.1:\(self.scenario.manifest.port)/health after \(timeout)")
    }

    /// The status code of `GET /health`, or nil when nothing answers.
    public static func healthStatus(port: Int) -> Int? {
        LocalHTTP.get(port: port, path: "/health", timeoutSeconds: 2)?.status
    }
}
