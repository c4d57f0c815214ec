import Foundation

/// A Prometheus exporter the lab runs next to a real component natively, with the same port and flags as
/// the Docker Compose service of the same name, so every dashboard query works the same off Docker. Optional
/// for a learner: started only when its Debian package is installed (the dashboard tests require it).
public struct PrometheusExporter: Sendable {
    /// `postgres-exporter`: its pid and log files in `.lab/observability/`.
    public let name: String
    /// The program's names, Debian's first (`prometheus-redis-exporter`, then upstream's `redis_exporter`).
    let programs: [String]
    /// The Debian package that installs it.
    public let package: String
    public let port: Int
    let arguments: [String]
    let environment: [String: String]
    let paths: LabPaths

    var process: BackgroundProcess {
        BackgroundProcess(name: self.name, folder: self.paths.state.appendingPathComponent("observability"))
    }

    /// The exporter of the lab's PostgreSQL on `port` (the primary on 9187).
    static func postgres(paths: LabPaths, databasePort: Int, port: Int, name: String = "postgres-exporter") throws -> Self {
        let url = try PostgresCluster.adminURL(database: "postgres", paths: paths)
            .replacingOccurrences(of: ":\(PostgresCluster.port)/", with: ":\(databasePort)/")
        return Self(
            name: name,
            programs: ["prometheus-postgres-exporter", "postgres_exporter"],
            package: "prometheus-postgres-exporter",
            port: port,
            // The lab's extra queries (replication lag as the primary sees it), the same file as in Compose.
            arguments: [
                "--web.listen-address=127.0.0.1:\(port)",
                "--extend.query-path=" + paths.root.appendingPathComponent("observability/postgres-exporter/queries.yaml").path,
            ],
            environment: ["DATA_SOURCE_NAME": url + "?sslmode=disable"],
            paths: paths
        )
    }

    /// The exporter of a Redis on `redisPort`, on `port` (9121).
    public static func redis(paths: LabPaths, redisPort: Int, port: Int) -> Self {
        Self(
            name: "redis-exporter",
            programs: ["prometheus-redis-exporter", "redis_exporter"],
            package: "prometheus-redis-exporter",
            port: port,
            arguments: ["-redis.addr=redis://127.0.0.1:\(redisPort)", "-web.listen-address=127.0.0.1:\(port)"],
            environment: [:],
            paths: paths
        )
    }

    /// Starts it unless it runs. Returns a line for the learner, nil when it is not installed (and not required).
    /// - Parameter required: throw instead of skipping when the program is missing or its port is taken (the
    ///   dashboard tests, which must read what the lab's own exporter says).
    @discardableResult
    public func start(required: Bool = false) async throws -> String? {
        if self.process.running() != nil { return "\(self.name): http://127.0.0.1:\(self.port)/metrics" }
        guard let binary = self.programs.lazy.compactMap(Shell.which).first else {
            if required { throw LabError("\(self.name) is not installed: sudo apt-get install -y \(self.package)") }
            return nil
        }
        let listening = ListeningProcess(process: self.process, port: self.port)
        if LocalHTTP.isListening(port: self.port) {
            if required {
                throw LabError(
                    "port \(self.port) is taken by a \(self.name) the lab did not start (the Debian package's service?), with its own "
                        + "config. Stop it (sudo systemctl stop \(self.package)) and run again."
                )
            }
            return "\(self.name) already answers on 127.0.0.1:\(self.port) (not started by the lab; Docker Compose's or a system service)"
        }
        var environment = ProcessInfo.processInfo.environment
        environment.merge(self.environment) { _, mine in mine }
        try await listening.start([binary] + self.arguments, environment: environment)
        return "started \(self.name): http://127.0.0.1:\(self.port)/metrics"
    }

    @discardableResult
    public func stop() async -> Bool { await self.process.stop() }

    public func statusLine() -> String {
        if let (pid, _) = self.process.running() { return "\(self.name): running on 127.0.0.1:\(self.port) (pid \(pid))" }
        if LocalHTTP.isListening(port: self.port) { return "\(self.name): something (Docker Compose?) answers on 127.0.0.1:\(self.port)" }
        return "\(self.name): not running"
    }
}
