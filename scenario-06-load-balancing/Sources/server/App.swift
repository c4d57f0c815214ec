import LabServer

/// Starts one instance of the parcel-tracking server. The routes are in `App+build.swift`. Three of these run
/// behind HAProxy (`haproxy.cfg`), on 8081, 8082 and 8083.
@main
struct App {
    static func main() async throws {
        let configuration = LabServerConfiguration.loadOrExit(defaultDatabase: "scenario_06")
        let app = try buildApplication(configuration)
        // Runs until the process is stopped.
        try await app.run()
    }
}
