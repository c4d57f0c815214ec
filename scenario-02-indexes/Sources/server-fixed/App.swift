import LabServer

/// Starts the fixed shop server (same code as `server`; the fix is `fix.sql`). The interesting part is in `App+build.swift`.
@main
struct App {
    static func main() async throws {
        let configuration = LabServerConfiguration.loadOrExit(defaultDatabase: "scenario_02")
        let app = buildApplication(configuration)
        try await app.runService()
    }
}
