import Foundation

/// HAProxy in front of a scenario's instances (kind `haproxy`, its `config` a file of the scenario folder), on
/// the scenario's port; its `port` is where its own statistics page (`/stats`) and Prometheus metrics
/// (`/metrics`) answer.
///
/// Scenario 06 uses HAProxy rather than nginx because the open-source nginx has no active health checks, no
/// per-server connection limit with a shared queue, no slow start and no Prometheus endpoint: the lesson is
/// the balancer's own behaviour, so the balancer must have the tools a team would reach for.
///
/// Natively the lab runs Debian's haproxy in the foreground (`-db`) with the scenario's file, unchanged, as a
/// ``BackgroundProcess`` (`haproxy` in `.lab/<scenario>/`); what HAProxy logs (servers going DOWN and UP)
/// lands in its log. In Docker Compose the haproxy image runs the same file (`LAB_HAPROXY=external`). The
/// file is the learner's to edit: `./lab reset` restores it.
public struct HAProxyService: LabService {
    public static let kind = "haproxy"
    public let scenario: Scenario
    public let paths: LabPaths
    /// The config file, relative to the scenario folder.
    public let config: String
    /// Where its statistics page and metrics answer (the config's `stats` frontend says the same).
    public let statsPort: Int
    public var name: String { "haproxy" }
    public var startsAfterServer: Bool { true }
    public var learnerFiles: [String] { [self.config] }

    public init(declaration: ServiceDeclaration, scenario: Scenario, paths: LabPaths) throws {
        self.scenario = scenario
        self.paths = paths
        self.config = try declaration.required(declaration.config, "config")
        self.statsPort = try declaration.required(declaration.port, "port")
    }

    public var process: BackgroundProcess { BackgroundProcess(name: "haproxy", folder: self.paths.runtime(for: self.scenario)) }
    public var configFile: URL { self.scenario.file(self.config) }
    public var logFiles: [URL] { [self.process.logFile] }
    /// Its statistics page, for the learner.
    public var statsURL: String { "http://127.0.0.1:\(self.statsPort)/stats" }

    /// haproxy's path, installing Debian's package the first time when this machine lets the lab.
    static func binary() throws -> String {
        try DebianPackages.sbinProgram("haproxy", package: "haproxy", what: "HAProxy (the load balancer of this scenario)")
    }

    /// `haproxy -c`: the config is valid for this HAProxy. Returns HAProxy's own words when it is not.
    public func validate() throws -> String? {
        let output = try Shell.capture([try Self.binary(), "-c", "-f", self.configFile.path])
        return output.status == 0 ? nil : output.text
    }

    /// Starts HAProxy unless it runs (or Docker Compose runs it), and waits until it answers `/health` through
    /// an instance.
    public func start(build: Bool) async throws -> String {
        let port = self.scenario.manifest.port
        if Self.isExternal {
            try await ServerProcess.waitUntilHealthy(port: port, timeout: .seconds(30)) { true }
            return "HAProxy (Docker Compose) answers on \(self.scenario.serverURL); its statistics: \(self.statsURL)"
        }
        if let (pid, _) = self.process.running() { return "HAProxy already running on \(self.scenario.serverURL) (pid \(pid))" }
        for taken in [port, self.statsPort] where LocalHTTP.isListening(port: taken) {
            throw LabError(
                "port \(taken), where this scenario's load balancer listens, is already in use (a server of another scenario?). "
                    + "`./lab status` shows what the lab runs; `ss -ltnp | grep :\(taken)` shows which program has it."
            )
        }
        let binary = try Self.binary()
        if let problem = try self.validate() {
            throw LabError(
                "HAProxy refuses \(self.config):\n\(problem)\nFix the file (or `./lab reset \(self.scenario.number)` restores it), then run the same command again."
            )
        }
        let child = try self.process.start([binary, "-db", "-f", self.configFile.path])
        do {
            try await ServerProcess.waitUntilHealthy(port: port, timeout: .seconds(30)) { child.exitStatusIfExited() == nil }
        } catch {
            _ = kill(child.pid, SIGKILL)
            self.process.forget()
            throw LabError("HAProxy did not start: \(error)\nIts output (\(self.process.logFile.path)):\n\(self.process.logTail())")
        }
        return "HAProxy on \(self.scenario.serverURL) (\(self.config), pid \(child.pid)); its statistics: \(self.statsURL)"
    }

    /// Stops HAProxy. SIGUSR1 is its "soft stop": it stops listening and lets the requests in flight finish.
    public func stop() async -> String? {
        guard let (pid, _) = self.process.running() else { return nil }
        kill(pid, SIGUSR1)
        for _ in 0..<50 where self.process.running() != nil { try? await Task.sleep(for: .milliseconds(100)) }
        _ = await self.process.stop()
        return "stopped HAProxy of \(self.scenario.folderName)"
    }

    public func status() -> String {
        if Self.isExternal { return "haproxy: run by Docker Compose on \(self.scenario.serverURL) (statistics: \(self.statsURL))" }
        return "haproxy: "
            + (self.process.running().map { "running on \(self.scenario.serverURL) (pid \($0.pid)), statistics on \(self.statsURL)" } ?? "stopped")
    }

    /// HAProxy's own metrics (its built-in Prometheus exporter), nil when it does not answer.
    public func metrics() async -> ServerMetrics? {
        await ServerMetrics.fetch(port: self.statsPort)
    }
}
