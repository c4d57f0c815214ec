import Foundation
import LabServer

/// Starting, stopping and finding a scenario's server, in the background (`./lab start`) or in the
/// foreground (`./lab up`, watch mode).
///
/// A background server writes its pid to `.lab/<scenario>/server.pid` and its output to `server.log`. Every
/// operation checks the pid is really our server (a stale pid file after a reboot is cleaned up, not trusted).
public struct ServerProcess: Sendable {
    public let scenario: Scenario
    public let paths: LabPaths

    public init(scenario: Scenario, paths: LabPaths) {
        self.scenario = scenario
        self.paths = paths
    }

    public var pidFile: URL { self.paths.runtime(for: self.scenario).appendingPathComponent("server.pid") }
    public var logFile: URL { self.paths.runtime(for: self.scenario).appendingPathComponent("server.log") }

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

    /// The running background server: (pid, product), or nil. Removes a stale pid file.
    public func running() -> (pid: Int32, product: String)? {
        guard let text = try? String(contentsOf: self.pidFile, encoding: .utf8) else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count == 2, let pid = Int32(parts[0]) else {
            try? FileManager.default.removeItem(at: self.pidFile)
            return nil
        }
        let product = String(parts[1]).trimmingCharacters(in: .whitespacesAndNewlines)
        let binary = self.paths.runtime(for: self.scenario).appendingPathComponent("bin/\(product)").path
        let cmdline = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        guard kill(pid, 0) == 0, cmdline.hasPrefix(binary) else {
            try? FileManager.default.removeItem(at: self.pidFile)
            return nil
        }
        return (pid, product)
    }

    /// Starts `binary` in the background and waits until `/health` answers.
    public func startBackground(binary: URL, product: String, databaseURL: DatabaseURL) async throws -> Int32 {
        if let (pid, running) = self.running() {
            throw LabError(
                "\(running) of \(self.scenario.folderName) is already running (pid \(pid)). Stop it first: ./lab stop \(self.scenario.number)"
            )
        }
        try self.ensurePortFree()
        try FileManager.default.createDirectory(at: self.paths.runtime(for: self.scenario), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: self.logFile)
        // A new session: the server outlives this command and the terminal's Ctrl-C.
        let child = try ChildProcess.spawn(
            [binary.path],
            environment: self.environment(databaseURL: databaseURL),
            output: .file(self.logFile.path),
            newSession: true
        )
        let pid = child.pid
        try "\(pid) \(product)\n".write(to: self.pidFile, atomically: true, encoding: .utf8)
        do {
            try await self.waitUntilHealthy(timeout: .seconds(30)) { child.exitStatusIfExited() == nil }
        } catch {
            _ = kill(pid, SIGKILL)
            try? FileManager.default.removeItem(at: self.pidFile)
            let tail = ((try? String(contentsOf: self.logFile, encoding: .utf8)) ?? "").split(separator: "\n").suffix(15).joined(separator: "\n")
            throw LabError("\(product) did not start: \(error)\nLast lines of \(self.logFile.path):\n\(tail)")
        }
        return pid
    }

    /// Stops the background server gracefully (SIGTERM: in-flight requests finish), forcefully after 15 s.
    /// - Returns: false if nothing was running.
    @discardableResult
    public func stopBackground() async -> Bool {
        guard let (pid, _) = self.running() else { return false }
        await Self.terminate(pid: pid)
        try? FileManager.default.removeItem(at: self.pidFile)
        return true
    }

    /// SIGTERM, wait up to 15 s, then SIGKILL.
    public static func terminate(pid: Int32) async {
        _ = kill(pid, SIGTERM)
        for _ in 0..<150 {
            if kill(pid, 0) != 0 { return }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid { return }
            try? await Task.sleep(for: .milliseconds(100))
        }
        _ = kill(pid, SIGKILL)
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
