import LabServer

/// Starts Tastebuds' server, fixed. The routes are in `App+build.swift`; the routing of reads and writes in
/// `Databases.swift`.
@main
struct App {
    static func main() async throws {
        let configuration = LabServerConfiguration.loadOrExit(defaultDatabase: "scenario_07")
        let app = try buildApplication(configuration)
        try await app.runService()
    }
}
