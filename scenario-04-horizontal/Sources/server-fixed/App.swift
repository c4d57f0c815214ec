import LabServer

/// Starts one instance of Potluck. The interesting part is in `App+build.swift` and the files it uses.
@main
struct App {
    static func main() async throws {
        let configuration = LabServerConfiguration.loadOrExit(defaultDatabase: "scenario_04")
        let app = buildApplication(configuration)
        try await app.runService()
    }
}
