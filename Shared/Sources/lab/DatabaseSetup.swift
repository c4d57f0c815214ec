import Foundation
import LabCore
import LabKit
import LoadTestKit

/// Makes sure the scenario's database is up, exists and is seeded; returns its URL.
/// With `LAB_POSTGRES=external` (Docker Compose), PostgreSQL is someone else's: the lab waits for it.
func prepareDatabase(_ scenario: Scenario, paths: LabPaths, seed: Bool = true) async throws -> DatabaseURL {
    let database = LabDatabase(paths: paths)
    if let message = try await database.startServer() { printStep(message) }
    try await database.ensureDatabase(for: scenario)
    let url = try LabDatabase.url(for: scenario)
    if seed {
        let report = try await Seeder(scenario: scenario, url: url).seed { printStep($0) }
        if report.batchesInserted > 0 {
            printStep("seeded \(report.rows) rows in \(String(format: "%.1f", report.seconds)) s")
        } else {
            printStep("database \(url.database) already seeded (\(report.rows) rows in \(report.table))")
        }
    }
    return url
}

/// `server` or `server-fixed`.
func productName(fixed: Bool) -> String { fixed ? "server-fixed" : "server" }
