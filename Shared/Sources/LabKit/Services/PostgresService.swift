import Foundation
import LabCore

/// The lab's PostgreSQL (kind `postgres`): one private cluster on 127.0.0.1:54329 shared by every scenario,
/// each scenario in a database of its own (``PostgresCluster``, ``LabDatabase``), and its Prometheus exporter
/// on 9187 when installed. In Docker Compose (`LAB_POSTGRES=external`) the `postgres` container runs it and
/// the lab only waits for it.
public struct PostgresService: LabService {
    public static let kind = "postgres"
    public let scenario: Scenario
    public let paths: LabPaths
    public var name: String { "postgres" }
    public var isShared: Bool { true }

    public init(declaration: ServiceDeclaration, scenario: Scenario, paths: LabPaths) throws {
        self.scenario = scenario
        self.paths = paths
    }

    var database: LabDatabase { LabDatabase(paths: self.paths) }

    /// Starts the cluster (or waits for Compose's), creates the scenario's role and database, and starts the
    /// exporter when it is installed.
    public func start(build: Bool) async throws -> String {
        let started = try await self.database.startServer()
        try await self.database.ensureDatabase(for: self.scenario)
        var line = started ?? "PostgreSQL answers on 127.0.0.1:\(PostgresCluster.port)"
        if !Self.isExternal, let exporter = try? PrometheusExporter.postgres(paths: self.paths, databasePort: PostgresCluster.port, port: 9187),
            let started = try? await exporter.start()
        {
            line += "; \(started)"
        }
        return line
    }

    public func stop() async -> String? {
        guard !Self.isExternal, let cluster = try? PostgresCluster(paths: self.paths, install: false) else { return nil }
        if let exporter = try? PrometheusExporter.postgres(paths: self.paths, databasePort: PostgresCluster.port, port: 9187) {
            await exporter.stop()
        }
        guard case .running = cluster.status() else { return nil }
        do {
            try cluster.stop()
            return "PostgreSQL stopped (data kept in \(cluster.data.path))"
        } catch {
            return "PostgreSQL did not stop: \(error)"
        }
    }

    public func status() -> String {
        guard !Self.isExternal else {
            let answers = LocalHTTP.isListening(port: PostgresCluster.port)
            return
                "PostgreSQL: external (LAB_POSTGRES=external, Docker Compose), \(answers ? "answering" : "not answering") on 127.0.0.1:\(PostgresCluster.port)"
        }
        guard let cluster = try? PostgresCluster(paths: self.paths, install: false) else { return "PostgreSQL: not installed (./lab up installs it)" }
        switch cluster.status() {
        case .notInitialized: return "PostgreSQL: not created yet (./lab db start creates it)"
        case .stopped: return "PostgreSQL: stopped (./lab db start)"
        case .running(let pid): return "PostgreSQL: running on 127.0.0.1:\(PostgresCluster.port) (pid \(pid))"
        }
    }

    public var logFiles: [URL] { [self.paths.postgresLog] }

    /// Drops the scenario's tables (the learner's indexes with them) and seeds them again.
    public func reset() async throws -> String? {
        try await self.database.resetScenarioDatabase(for: self.scenario)
        let report = try await Seeder(scenario: self.scenario, url: try LabDatabase.url(for: self.scenario)).seed()
        return
            "database \(self.scenario.manifest.database): tables dropped, settings forgotten (ALTER DATABASE … SET), seeded again (\(report.rows) rows in \(report.table))"
    }
}
