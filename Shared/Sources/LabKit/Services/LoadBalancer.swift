import Foundation

/// nginx in front of a scenario's instances (`instances.loadBalancer` in `lab.json`), on the scenario's port:
/// the address the learner and the load test use.
///
/// Natively the lab runs Debian's nginx with the scenario's own config file, unchanged, as a
/// ``BackgroundProcess`` (`nginx` in `.lab/<scenario>/`), its temporary files and error log in
/// `.lab/<scenario>/nginx/`. In Docker Compose the nginx image runs the same file
/// (`LAB_LOAD_BALANCER=external` tells the lab not to start its own).
public struct LoadBalancer: Sendable {
    public let scenario: Scenario
    public let paths: LabPaths

    public init(scenario: Scenario, paths: LabPaths) {
        self.scenario = scenario
        self.paths = paths
    }

    /// `LAB_LOAD_BALANCER=external`: Docker Compose runs nginx; the lab only waits for it to answer.
    public static var isExternal: Bool {
        ProcessInfo.processInfo.environment["LAB_LOAD_BALANCER"] == "external"
    }

    public var process: BackgroundProcess { BackgroundProcess(name: "nginx", folder: self.paths.runtime(for: self.scenario)) }
    /// nginx's prefix: relative paths in the config (its temporary folders) land here.
    var prefix: URL { self.paths.runtime(for: self.scenario).appendingPathComponent("nginx") }
    public var errorLog: URL { self.prefix.appendingPathComponent("error.log") }

    /// The scenario's nginx config, or nil for a scenario without a load balancer.
    public var configFile: URL? {
        self.scenario.manifest.instances.map { self.scenario.file($0.loadBalancer) }
    }

    /// nginx's path, installing Debian's package the first time when this machine lets the lab.
    static func binary() throws -> String {
        if let found = Self.find() { return found }
        guard try DebianPackages.install(["nginx"], what: "nginx (the load balancer)"), let found = Self.find() else {
            throw LabError(
                """
                nginx (the load balancer of this scenario) is not installed. Install it, then run the same command again:
                    sudo apt-get install -y nginx
                """
            )
        }
        return found
    }

    /// Debian puts nginx in /usr/sbin, which is not on every user's PATH.
    static func find() -> String? {
        Shell.which("nginx") ?? ["/usr/sbin/nginx", "/usr/local/sbin/nginx"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// The command line that runs nginx in the foreground with the scenario's config.
    func arguments(binary: String, config: URL, test: Bool = false) -> [String] {
        [binary, "-p", self.prefix.path + "/", "-c", config.path, "-e", self.errorLog.path]
            + (test ? ["-t", "-g", "pid \(self.prefix.path)/test.pid;"] : ["-g", "daemon off; pid \(self.prefix.path)/nginx.pid;"])
    }

    /// `nginx -t`: the config is valid for this nginx. Returns nginx's own words when it is not.
    public func validate() throws -> String? {
        guard let config = self.configFile else { return nil }
        try FileManager.default.createDirectory(at: self.prefix, withIntermediateDirectories: true)
        let output = try Shell.capture(self.arguments(binary: try Self.binary(), config: config, test: true))
        return output.status == 0 ? nil : output.text
    }

    /// Starts nginx unless it runs (or Docker Compose runs it), and waits until it answers `/health` through
    /// an instance. Returns a line for the learner; nil for a scenario without a load balancer.
    public func start() async throws -> String? {
        guard let config = self.configFile else { return nil }
        let port = self.scenario.manifest.port
        if Self.isExternal {
            try await ServerProcess.waitUntilHealthy(port: port, timeout: .seconds(30)) { true }
            return "nginx (Docker Compose) answers on \(self.scenario.serverURL)"
        }
        if let (pid, _) = self.process.running() { return "nginx already running on \(self.scenario.serverURL) (pid \(pid))" }
        if LocalHTTP.isListening(port: port) {
            throw LabError(
                "port \(port), where this scenario's load balancer listens, is already in use (a server of another scenario?). "
                    + "`./lab status` shows what the lab runs; `ss -ltnp | grep :\(port)` shows which program has it."
            )
        }
        try FileManager.default.createDirectory(at: self.prefix, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: self.errorLog)  // a fresh error log for each run, like the servers' logs
        // nginx renames its main process "nginx: master process ...": that is how it is recognized later.
        let child = try self.process.start(self.arguments(binary: try Self.binary(), config: config), commandLine: "nginx: master process")
        do {
            try await ServerProcess.waitUntilHealthy(port: port, timeout: .seconds(30)) { child.exitStatusIfExited() == nil }
        } catch {
            _ = kill(child.pid, SIGKILL)
            self.process.forget()
            let log = (try? String(contentsOf: self.errorLog, encoding: .utf8)) ?? ""
            throw LabError(
                "nginx did not start: \(error)\nIts output (\(self.process.logFile.path)):\n\(self.process.logTail())\n"
                    + "Its error log (\(self.errorLog.path)):\n\(log.split(separator: "\n").suffix(10).joined(separator: "\n"))"
            )
        }
        return "nginx on \(self.scenario.serverURL) sends each request to the next instance in turn (pid \(child.pid))"
    }

    /// Stops nginx (gracefully: requests in flight finish). Returns false when it was not running.
    @discardableResult
    public func stop() async -> Bool {
        await self.process.stop()
    }

    /// `nginx: running on ... (pid N)`, for `./lab status`; nil for a scenario without a load balancer.
    public func statusLine() -> String? {
        guard self.configFile != nil else { return nil }
        if Self.isExternal { return "nginx: run by Docker Compose on \(self.scenario.serverURL)" }
        return "nginx: " + (self.process.running().map { "running on \(self.scenario.serverURL) (pid \($0.pid))" } ?? "stopped")
    }
}
