import LabServer

/// Starts Tastebuds' server. The routes are in `App+build.swift`.
@main
struct App {
    static func main() async throws {
        let configuration = LabServerConfiguration.loadOrExit(defaultDatabase: "scenario_07")
        let app = try buildApplication(configuration)
        try await app.runService()
    }
}
