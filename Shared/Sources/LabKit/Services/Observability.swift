import Foundation

/// Prometheus, natively: the same program and the same scrape config (`observability/prometheus/prometheus.yml`)
/// as the Docker Compose service, so every dashboard query works the same way off Docker. Optional for a
/// learner (`./lab load` prints the numbers anyway): started only when installed
/// (`sudo apt-get install prometheus`). The exporters it scrapes run with their services
/// (``PrometheusExporter``).
///
/// Addresses are the same in both ways to run: Compose puts every service in one network namespace, so
/// Prometheus scrapes the app on 127.0.0.1:8080 and the exporters on 127.0.0.1 there too.
public struct Observability: Sendable {
    public static let prometheusPort = 9090

    public let paths: LabPaths

    public init(paths: LabPaths) {
        self.paths = paths
    }

    public var scrapeConfig: URL { self.paths.root.appendingPathComponent("observability/prometheus/prometheus.yml") }
    var folder: URL { self.paths.state.appendingPathComponent("observability") }
    public var prometheus: BackgroundProcess { BackgroundProcess(name: "prometheus", folder: self.folder) }

    public static var prometheusURL: String { "http://127.0.0.1:\(prometheusPort)" }

    /// Starts Prometheus when it is installed and not already running; a line for the learner. Safe to call
    /// any number of times.
    /// - Parameter required: throw instead of skipping when it is missing or its port is taken by a Prometheus
    ///   the lab did not start (the dashboard tests).
    public func start(required: Bool = false) async throws -> String {
        if PostgresService.isExternal && !required {
            return "Prometheus (port 9090) and Grafana (port 3000) run in Docker Compose, next to PostgreSQL"
        }
        guard let binary = Shell.which("prometheus") else {
            if required { throw LabError("Prometheus is not installed: sudo apt-get install -y prometheus") }
            return
                "Prometheus is not installed, so there are no graphs natively (optional: sudo apt-get install prometheus prometheus-postgres-exporter)"
        }
        if let (pid, _) = self.prometheus.running() {
            // The scrape config may have changed since it started (a newer checkout): SIGHUP makes it re-read it.
            _ = kill(pid, SIGHUP)
            return "Prometheus: \(Self.prometheusURL)"
        }
        if LocalHTTP.isListening(port: Self.prometheusPort) {
            if required {
                throw LabError(
                    "port \(Self.prometheusPort) is taken by a Prometheus the lab did not start (the Debian package's service?), with its own "
                        + "config. Stop it (sudo systemctl stop prometheus) and run again."
                )
            }
            return "Prometheus already answers on 127.0.0.1:\(Self.prometheusPort) (not started by the lab; Docker Compose's or a system service)"
        }
        let data = self.folder.appendingPathComponent("prometheus-data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try await ListeningProcess(process: self.prometheus, port: Self.prometheusPort).start([
            binary,
            "--config.file=\(self.scrapeConfig.path)",
            "--storage.tsdb.path=\(data.path)",
            "--storage.tsdb.retention.time=2d",
            "--web.listen-address=127.0.0.1:\(Self.prometheusPort)",
        ])
        return "started Prometheus: \(Self.prometheusURL) (scrapes every 5 s; try the query rate(http_requests_total[1m]))"
    }

    /// Stops Prometheus (the collected data stays in `.lab/observability/`).
    public func stop() async -> String? {
        await self.prometheus.stop() ? "stopped prometheus" : nil
    }

    public func statusLine() -> String {
        if let (pid, _) = self.prometheus.running() { return "prometheus: running on 127.0.0.1:\(Self.prometheusPort) (pid \(pid))" }
        if LocalHTTP.isListening(port: Self.prometheusPort) {
            return "prometheus: something (Docker Compose?) answers on 127.0.0.1:\(Self.prometheusPort)"
        }
        return "prometheus: not running"
    }
}
