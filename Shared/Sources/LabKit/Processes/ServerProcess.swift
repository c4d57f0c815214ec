import Foundation
import LabCore

/// Starting, stopping and finding a scenario's server, in the background (`./lab start`) or in the
/// foreground (`./lab up`, watch mode): one server, or for a scenario with a load balancer, several
/// instances (``ServerInstance``; the load balancer in front of them is one of the scenario's services).
///
/// A background server is a ``BackgroundProcess`` in `.lab/<scenario>/`: `server`, or `server-a`,
/// `server-b`... Each instance of a scenario with a load balancer runs in a folder of its own
/// (`.lab/<scenario>/instance-a/`): its "local disk", as if it ran on a machine of its own.
public struct ServerProcess: Sendable {
    public let scenario: Scenario
    public let paths: LabPaths

    public init(scenario: Scenario, paths: LabPaths) {
        self.scenario = scenario
        self.paths = paths
    }

    func process(_ instance: ServerInstance) -> BackgroundProcess {
        BackgroundProcess(name: instance.processName, folder: self.paths.runtime(for: self.scenario))
    }

    /// The log files of every instance that has one, in instance order.
    public var logFiles: [URL] {
        self.scenario.allInstances.map { self.process($0).logFile }.filter { FileManager.default.fileExists(atPath: $0.path) }
    }

    /// An instance's own folder (`.lab/<scenario>/instance-a/`), its "disk"; nil for a lone server.
    func folder(_ instance: ServerInstance) -> URL? {
        instance.name.map { self.paths.runtime(for: self.scenario).appendingPathComponent("instance-\($0)") }
    }

    /// Where an instance runs: its own folder for an instance of several (its "disk"), else the current one.
    public func workingDirectory(_ instance: ServerInstance) throws -> URL? {
        guard let folder = self.folder(instance) else { return nil }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    /// Empties every instance's folder (what a server wrote to its "local disk", e.g. uploads), for a
    /// scenario back at its start. Returns true when there was something to remove.
    @discardableResult
    public func wipeInstanceFolders() throws -> Bool {
        var wiped = false
        for instance in self.scenario.allInstances {
            guard let folder = self.folder(instance), FileManager.default.fileExists(atPath: folder.path) else { continue }
            try FileManager.default.removeItem(at: folder)
            wiped = true
        }
        return wiped
    }

    /// The environment an instance runs with: its port, its name, its database, its Redis (`REDIS_URL`) and its
    /// replica (`REPLICA_DATABASE_URL`).
    public func environment(databaseURL: DatabaseURL, instance: ServerInstance) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HTTP_PORT"] = String(instance.port)
        environment["HTTP_HOST"] = "127.0.0.1"
        environment["INSTANCE_NAME"] = instance.name
        let perInstance = self.scenario.manifest.instances
        let username = perInstance?.databaseRolePerInstance == true ? instance.databaseRole ?? databaseURL.username : databaseURL.username
        var url = "postgres://\(username)"
        if let password = databaseURL.password { url += ":\(password)" }
        environment["DATABASE_URL"] = url + "@\(databaseURL.host):\(databaseURL.port)/\(databaseURL.database)"
        // The scenario's Redis (natively and in Compose alike, it answers on loopback at the port lab.json gives).
        for redis in self.scenario.manifest.services ?? [] where redis.kind == RedisService.kind && (redis.name ?? "redis") == "redis" {
            if let port = redis.port { environment["REDIS_URL"] = "redis://127.0.0.1:\(port)" }
        }
        // The scenario's streaming replica (REPLICA_DATABASE_URL), the same role and database on the replica's port.
        for replica in self.scenario.manifest.services ?? [] where replica.kind == PostgresReplicaService.kind {
            if let port = replica.port {
                environment["REPLICA_DATABASE_URL"] = url + "@\(databaseURL.host):\(port)/\(databaseURL.database)"
            }
        }
        if let name = instance.name, let own = perInstance?.environment?[name] { environment.merge(own) { _, own in own } }
        return environment
    }

    /// A running background instance: (pid, product), or nil when none runs.
    public func running() -> (pid: Int32, product: String)? {
        self.scenario.allInstances.lazy.compactMap { self.process($0).running() }.first.map { ($0.pid, $0.tag) }
    }

    /// The background instances that run now.
    public func runningInstances() -> [(instance: ServerInstance, pid: Int32)] {
        self.scenario.allInstances.compactMap { instance in self.process(instance).running().map { (instance, $0.pid) } }
    }

    /// Starts `binary` in the background, as `instances` instances (default: the scenario's count), and waits
    /// until each answers `/health`.
    /// - Parameter extraEnvironment: added to each instance's environment, e.g. `DATABASE_POOL_SIZE` in a test.
    /// - Returns: each instance started, with its pid.
    @discardableResult
    public func startBackground(
        binary: URL,
        product: String,
        databaseURL: DatabaseURL,
        extraEnvironment: [String: String] = [:],
        instances count: Int? = nil
    ) async throws -> [(instance: ServerInstance, pid: Int32)] {
        try self.ensureNotRunning()
        let instances = try self.scenario.instances(count: count)
        try self.ensurePortsFree(instances)
        // The log of an instance that does not run this time (c of an earlier --instances 3) would look current.
        for instance in self.scenario.allInstances where !instances.contains(instance) {
            try? FileManager.default.removeItem(at: self.process(instance).logFile)
        }
        var started: [(ServerInstance, Int32)] = []
        do {
            for instance in instances {
                let environment = self.environment(databaseURL: databaseURL, instance: instance).merging(extraEnvironment) { _, extra in extra }
                let process = self.process(instance)
                let child = try process.start([binary.path], environment: environment, tag: product, in: try self.workingDirectory(instance))
                started.append((instance, child.pid))
                do {
                    try await self.waitUntilHealthy(instance, timeout: .seconds(30)) { child.exitStatusIfExited() == nil }
                } catch {
                    throw LabError(
                        "\(product) (\(instance.label)) did not start: \(error)\nLast lines of \(process.logFile.path):\n\(process.logTail())"
                    )
                }
            }
        } catch {
            await self.stopBackground()
            throw error
        }
        return started
    }

    /// Lines at error level or worse in the background instances' logs (e.g. a pool that could not open its
    /// connections), for the learner to see at once rather than find later in a log file.
    public func loggedErrors() -> [String] {
        self.logFiles.flatMap { file in
            ((try? String(contentsOf: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
                .filter { $0.contains(" error ") || $0.contains(" critical ") }
        }
    }

    /// The last `lines` lines of each background instance's output, under a heading per instance when
    /// there are several.
    public func logTail(lines: Int) -> String {
        let instances = self.scenario.allInstances
        guard instances.count > 1 else { return self.process(instances[0]).logTail(lines: lines) }
        return instances.compactMap { instance -> String? in
            let process = self.process(instance)
            guard FileManager.default.fileExists(atPath: process.logFile.path) else { return nil }
            return "==> \(instance.label) <==\n" + process.logTail(lines: lines)
        }.joined(separator: "\n")
    }

    /// Stops every background instance gracefully (SIGTERM: in-flight requests finish; SIGKILL after 15 s).
    /// - Returns: false if nothing was running.
    @discardableResult
    public func stopBackground() async -> Bool {
        var stopped = false
        for instance in self.scenario.allInstances where await self.process(instance).stop() {
            stopped = true
        }
        return stopped
    }

    /// SIGTERM, wait up to 15 s, then SIGKILL.
    public static func terminate(pid: Int32) async {
        await BackgroundProcess.terminate(pid: pid)
    }

    /// Fails with a clear message when a background server of this scenario already runs.
    public func ensureNotRunning() throws {
        if let (pid, running) = self.running() {
            throw LabError(
                "\(running) of \(self.scenario.folderName) is already running (pid \(pid)). Stop it first: ./lab stop \(self.scenario.number)"
            )
        }
    }

    /// Fails with a clear message when something already listens on the scenario's port (or, with a load
    /// balancer, on a port of one of `instances`, or on the load balancer's).
    public func ensurePortsFree(_ instances: [ServerInstance]? = nil) throws {
        let instances = try instances ?? self.scenario.instances()
        var ports = instances.map(\.port)
        if self.scenario.hasLoadBalancer && !NginxService.isExternal { ports.append(self.scenario.manifest.port) }
        for port in ports where Self.isListening(port: port) {
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

    /// Polls `GET /health` of `instance` until it answers 200, the process dies, or `timeout` passes.
    public func waitUntilHealthy(_ instance: ServerInstance, timeout: Duration, isAlive: () -> Bool) async throws {
        try await Self.waitUntilHealthy(port: instance.port, timeout: timeout, isAlive: isAlive)
    }

    /// Polls `GET /health` on `port` until it answers 200, the process behind it dies, or `timeout` passes.
    static func waitUntilHealthy(port: Int, timeout: Duration, isAlive: () -> Bool) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            guard isAlive() else { throw LabError("the server exited") }
            if Self.healthStatus(port: port) == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LabError("no answer on http://127.0.0.1:\(port)/health after \(timeout)")
    }

    /// The status code of `GET /health`, or nil when nothing answers.
    public static func healthStatus(port: Int) -> Int? {
        LocalHTTP.get(port: port, path: "/health", timeoutSeconds: 2)?.status
    }
}
