import Foundation

/// Prometheus and the PostgreSQL exporter, natively: the same programs and the same scrape config
/// (`observability/prometheus/prometheus.yml`) as the Docker Compose services, so every dashboard query
/// works the same way off Docker. Optional for a learner (`./lab load` prints the numbers anyway): each is
/// started only when installed (`sudo apt-get install prometheus prometheus-postgres-exporter`).
///
/// Addresses are the same in both ways to run: Compose puts every service in one network namespace, so
/// Prometheus scrapes the app on 127.0.0.1:8080 and the exporter on 127.0.0.1:9187 there too.
public struct Observability: Sendable {
    public static let prometheusPort = 9090
    public static let exporterPort = 9187

    public let paths: LabPaths

    public init(paths: LabPaths) {
        self.paths = paths
    }

    public var scrapeConfig: URL { self.paths.root.appendingPathComponent("observability/prometheus/prometheus.yml") }
    var folder: URL { self.paths.state.appendingPathComponent("observability") }
    public var prometheus: BackgroundProcess { BackgroundProcess(name: "prometheus", folder: self.folder) }
    public var exporter: BackgroundProcess { BackgroundProcess(name: "postgres-exporter", folder: self.folder) }

    public static var prometheusURL: String { "http://127.0.0.1:\(prometheusPort)" }

    /// Debian names it prometheus-postgres-exporter; the upstream release binary is postgres_exporter.
    static func exporterBinary() -> String? {
        Shell.which("prometheus-postgres-exporter") ?? Shell.which("postgres_exporter")
    }

    /// Starts whichever of the two is installed and not already running; returns one line per program for
    /// the learner. Safe to call any number of times.
    /// - Parameter required: throw instead of skipping when a program is missing (the dashboard tests).
    public func start(required: Bool = false) async throws -> [String] {
        var lines: [String] = []
        if PostgresCluster.isExternal && !required {
            return ["Prometheus (port 9090) and Grafana (port 3000) run in Docker Compose, next to PostgreSQL"]
        }
        if let binary = Self.exporterBinary() {
            lines.append(try await self.startExporter(binary, required: required))
        } else if required {
            throw LabError("the PostgreSQL exporter is not installed: sudo apt-get install -y prometheus-postgres-exporter")
        }
        if let binary = Shell.which("prometheus") {
            lines.append(try await self.startPrometheus(binary, required: required))
        } else if required {
            throw LabError("Prometheus is not installed: sudo apt-get install -y prometheus")
        } else {
            lines.append(
                "Prometheus is not installed, so there are no graphs natively (optional: sudo apt-get install prometheus prometheus-postgres-exporter)"
            )
        }
        return lines
    }

    private func startPrometheus(_ binary: String, required: Bool) async throws -> String {
        if self.prometheus.running() != nil { return "Prometheus: \(Self.prometheusURL)" }
        if let message = try self.portTaken(Self.prometheusPort, by: "Prometheus", service: "prometheus", required: required) { return message }
        let data = self.folder.appendingPathComponent("prometheus-data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let child = try self.prometheus.start([
            binary,
            "--config.file=\(self.scrapeConfig.path)",
            "--storage.tsdb.path=\(data.path)",
            "--storage.tsdb.retention.time=2d",
            "--web.listen-address=127.0.0.1:\(Self.prometheusPort)",
        ])
        try await self.waitUntilListening(Self.prometheusPort, process: self.prometheus, child: child)
        return "started Prometheus: \(Self.prometheusURL) (scrapes every 5 s; try the query rate(http_requests_total[1m]))"
    }

    private func startExporter(_ binary: String, required: Bool) async throws -> String {
        if self.exporter.running() != nil { return "PostgreSQL exporter: http://127.0.0.1:\(Self.exporterPort)/metrics" }
        if let message = try self.portTaken(
            Self.exporterPort,
            by: "the PostgreSQL exporter",
            service: "prometheus-postgres-exporter",
            required: required
        ) {
            return message
        }
        var environment = ProcessInfo.processInfo.environment
        environment["DATA_SOURCE_NAME"] = try PostgresCluster.adminURL(database: "postgres", paths: self.paths) + "?sslmode=disable"
        let child = try self.exporter.start([binary, "--web.listen-address=127.0.0.1:\(Self.exporterPort)"], environment: environment)
        try await self.waitUntilListening(Self.exporterPort, process: self.exporter, child: child)
        return "started the PostgreSQL exporter: http://127.0.0.1:\(Self.exporterPort)/metrics"
    }

    /// A program the lab did not start already listens on the port: Docker Compose's (fine, same config),
    /// or a system service installed with the Debian package (its own config: the tests refuse it).
    private func portTaken(_ port: Int, by name: String, service: String, required: Bool) throws -> String? {
        guard LocalHTTP.isListening(port: port) else { return nil }
        if required {
            throw LabError(
                "port \(port) is taken by a \(name) the lab did not start (the Debian package's service?), with its own config. "
                    + "Stop it (sudo systemctl stop \(service)) and run again."
            )
        }
        return "\(name) already answers on 127.0.0.1:\(port) (not started by the lab; Docker Compose's or a system service)"
    }

    private func waitUntilListening(_ port: Int, process: BackgroundProcess, child: ChildProcess) async throws {
        for _ in 0..<100 {
            if LocalHTTP.isListening(port: port) { return }
            if child.exitStatusIfExited() != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.forget()
        throw LabError("\(process.name) did not start on port \(port). Last lines of \(process.logFile.path):\n\(process.logTail())")
    }

    /// Stops both (the collected data stays in `.lab/observability/`).
    public func stop() async -> [String] {
        var lines: [String] = []
        for process in [self.prometheus, self.exporter] where await process.stop() {
            lines.append("stopped \(process.name)")
        }
        return lines
    }

    public func statusLines() -> [String] {
        [(self.prometheus, Self.prometheusPort), (self.exporter, Self.exporterPort)].map { process, port in
            if let (pid, _) = process.running() { return "\(process.name): running on 127.0.0.1:\(port) (pid \(pid))" }
            if LocalHTTP.isListening(port: port) { return "\(process.name): something (Docker Compose?) answers on 127.0.0.1:\(port)" }
            return "\(process.name): not running"
        }
    }
}
