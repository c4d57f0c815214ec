import Foundation
import LabKit
import LabServer
import LoadTestKit

/// Makes sure the scenario's database is up, exists and is seeded; returns its URL.
/// With `DATABASE_URL` set (Docker Compose), PostgreSQL is someone else's: only the seed runs.
func prepareDatabase(_ scenario: Scenario, paths: LabPaths, seed: Bool = true) async throws -> DatabaseURL {
    if LabDatabase.isManaged {
        let cluster = try PostgresCluster(paths: paths)
        if try cluster.start() {
            printStep("started PostgreSQL on 127.0.0.1:\(PostgresCluster.port) (data in \(paths.postgresData.path))")
        }
        try await LabDatabase(paths: paths).ensureDatabase(for: scenario)
    }
    let url = try LabDatabase.url(for: scenario)
    if seed {
        let report = try await Seeder(scenario: scenario, url: url).seed { printStep($0) }
        if report.batchesInserted > 0 {
            printStep("seeded \(report.rows) rows in \(String(format: "%.1f", report.seconds)) s")
        } else {
            printStep("database \(url.database) already seeded (\(report.rows) rows in \(scenario.manifest.seed.table))")
        }
    }
    return url
}

/// `server` or `server-fixed`.
func productName(fixed: Bool) -> String { fixed ? "server-fixed" : "server" }
