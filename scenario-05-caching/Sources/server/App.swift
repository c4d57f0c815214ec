import LabServer

/// Starts the shop's server. The routes are in `App+build.swift`.
@main
struct App {
    static func main() async throws {
        let configuration = LabServerConfiguration.loadOrExit(defaultDatabase: "scenario_05")
        let app = try buildApplication(configuration)
        try await app.runService()
    }
}
