import LabServer

/// Starts the fixed user-directory server. Every change is explained in `App+build.swift`.
@main
struct App {
    static func main() async throws {
        let configuration = LabServerConfiguration.loadOrExit(defaultDatabase: "scenario_01")
        let app = buildApplication(configuration)
        try await app.runService()
    }
}
