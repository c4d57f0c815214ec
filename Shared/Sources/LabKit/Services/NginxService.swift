import Foundation

/// nginx in front of a scenario's instances (kind `nginx`, its `config` a file of the scenario folder), on the
/// scenario's port: the address the learner and the load test use.
///
/// Natively the lab runs Debian's nginx with the scenario's own config file, unchanged, as a
/// ``BackgroundProcess`` (`nginx` in `.lab/<scenario>/`), its temporary files and error log in
/// `.lab/<scenario>/nginx/`. In Docker Compose the nginx image runs the same file (`LAB_NGINX=external`).
/// The file is the learner's to edit: `./lab reset` restores it.
public struct NginxService: LabService {
    public static let kind = "nginx"
    public let scenario: Scenario
    public let paths: LabPaths
    /// The config file, relative to the scenario folder.
    public let config: String
    public var name: String { "nginx" }
    public var startsAfterServer: Bool { true }
    public var learnerFiles: [String] { [self.config] }

    public init(declaration: ServiceDeclaration, scenario: Scenario, paths: LabPaths) throws {
        self.scenario = scenario
        self.paths = paths
        self.config = try declaration.required(declaration.config, "config")
    }

    public var process: BackgroundProcess { BackgroundProcess(name: "nginx", folder: self.paths.runtime(for: self.scenario)) }
    /// nginx's prefix: relative paths in the config (its temporary folders) land here.
    var prefix: URL { self.paths.runtime(for: self.scenario).appendingPathComponent("nginx") }
    public var errorLog: URL { self.prefix.appendingPathComponent("error.log") }
    public var configFile: URL { self.scenario.file(self.config) }
    public var logFiles: [URL] { [self.process.logFile, self.errorLog] }

    /// nginx's path, installing Debian's package the first time when this machine lets the lab.
    static func binary() throws -> String {
        try DebianPackages.sbinProgram("nginx", package: "nginx", what: "nginx (the load balancer of this scenario)")
    }

    /// How the config spreads the requests, in words: the learner may have made it sticky (`ip_hash`).
    var balancing: String {
        let lines = ((try? String(contentsOf: self.configFile, encoding: .utf8)) ?? "").split(separator: "\n").map {
            $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?.trimmingCharacters(in: .whitespaces) ?? ""
        }
        if let sticky = lines.first(where: { $0.hasPrefix("ip_hash") || $0.hasPrefix("hash ") || $0.hasPrefix("sticky") }) {
            return "pins each user to one instance (`\(sticky)` in the upstream block)"
        }
        if lines.contains(where: { $0.hasPrefix("least_conn") }) { return "sends each request to the instance with the fewest requests in progress" }
        return "sends each request to the next instance in turn (round-robin)"
    }

    /// The command line that runs nginx in the foreground with the scenario's config.
    func arguments(binary: String, test: Bool = false) -> [String] {
        [binary, "-p", self.prefix.path + "/", "-c", self.configFile.path, "-e", self.errorLog.path]
            + (test ? ["-t", "-g", "pid \(self.prefix.path)/test.pid;"] : ["-g", "daemon off; pid \(self.prefix.path)/nginx.pid;"])
    }

    /// `nginx -t`: the config is valid for this nginx. Returns nginx's own words when it is not.
    public func validate() throws -> String? {
        try FileManager.default.createDirectory(at: self.prefix, withIntermediateDirectories: true)
        let output = try Shell.capture(self.arguments(binary: try Self.binary(), test: true))
        return output.status == 0 ? nil : output.text
    }

    /// Starts nginx unless it runs (or Docker Compose runs it), and waits until it answers `/health` through
    /// an instance.
    public func start(build: Bool) async throws -> String {
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
        let child = try self.process.start(self.arguments(binary: try Self.binary()), commandLine: "nginx: master process")
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
        return "nginx on \(self.scenario.serverURL) \(self.balancing) (\(self.config), pid \(child.pid))"
    }

    /// Stops nginx (gracefully: requests in flight finish).
    public func stop() async -> String? {
        await self.process.stop() ? "stopped nginx of \(self.scenario.folderName)" : nil
    }

    public func status() -> String {
        if Self.isExternal { return "nginx: run by Docker Compose on \(self.scenario.serverURL)" }
        return "nginx: " + (self.process.running().map { "running on \(self.scenario.serverURL) (pid \($0.pid))" } ?? "stopped")
    }
}
