import LabServer

/// Starts the shop server. The interesting part is in `App+build.swift`.
@main
struct App {
    static func main() async throws {
        let configuration = LabServerConfiguration.loadOrExit(defaultDatabase: "scenario_02")
        let app = buildApplication(configuration)
        try await app.runService()
    }
}
