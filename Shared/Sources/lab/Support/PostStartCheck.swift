import Foundation
import LabKit

/// A stage of `./lab test`: runs each scenario's Codespaces post-start step (`.devcontainer/post-start.sh`)
/// natively, twice in a row, as the app container would, with `LAB_POSTGRES=external` so the lab waits
/// for PostgreSQL instead of starting it. Each run must succeed and leave the server answering `/health`
/// (the second finds it running and keeps it). Not a `swift test`: the script builds the server, and
/// `swift test` holds the build folder's lock.
struct PostStartCheck {
    let paths: LabPaths

    /// Returns 0 when every scenario passed, 1 otherwise (the stage's exit status).
    func run() async throws -> Int32 {
        var failed = false
        let script = self.paths.root.appendingPathComponent(".devcontainer/post-start.sh").path
        var environment = ProcessInfo.processInfo.environment
        // Compose's PostgreSQL has its own superuser password; the runner's cluster plays that part here.
        environment["LAB_POSTGRES_ADMIN_PASSWORD"] = try PostgresCluster.adminPassword(paths: self.paths)
        environment["LAB_POSTGRES"] = "external"
        for folder in self.paths.scenarioFolders() {
            let scenario = try Scenario(folder: folder)
            _ = await stopScenario(scenario, paths: self.paths)
            for attempt in 1...2 {
                let status = try await Shell.run(["bash", script, scenario.folderName], in: self.paths.root, environment: environment)
                let health = ServerProcess.healthStatus(port: scenario.manifest.port)
                if status != 0 || health != 200 {
                    say(
                        "✗ \(scenario.folderName): post-start run \(attempt) exited \(status), /health answered \(health.map(String.init) ?? "nothing")"
                    )
                    failed = true
                } else {
                    say("✓ \(scenario.folderName): post-start run \(attempt) succeeded, server answers /health")
                }
            }
            for line in await stopScenario(scenario, paths: self.paths) { say("  \(line)") }
        }
        return failed ? 1 : 0
    }
}
