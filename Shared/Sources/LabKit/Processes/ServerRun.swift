import Foundation
import LabCore

/// Runs a scenario's server (`server` or `server-fixed`, already built) in the background for the length of a
/// piece of work, then stops it: what the lesson tests, the fault drills and the bad-input corpus all do.
///
/// It uses the binary the last build produced and never builds: inside `swift test` the build folder is
/// locked, and `./lab` commands build before they get here.
public struct ServerRun: Sendable {
    public let scenario: Scenario
    public let paths: LabPaths

    public init(scenario: Scenario, paths: LabPaths) {
        self.scenario = scenario
        self.paths = paths
    }

    /// Starts PostgreSQL if needed, creates and seeds the scenario's database.
    public func prepareDatabase() async throws {
        let database = LabDatabase(paths: self.paths)
        try await database.startServer()
        try await database.ensureDatabase(for: self.scenario)
        _ = try await Seeder(scenario: self.scenario, url: try LabDatabase.url(for: self.scenario)).seed()
    }

    /// Runs `product` in the background for `body`, with the scenario's services (started before the server,
    /// or after it for a load balancer), then stops the server and the services that came after it.
    /// - Parameters:
    ///   - environment: added to the server's environment, e.g. `["DATABASE_POOL_SIZE": "20"]`.
    ///   - instances: how many instances behind the load balancer (default: the scenario's).
    public func with<T: Sendable>(
        _ product: String,
        environment: [String: String] = [:],
        instances: Int? = nil,
        _ body: () async throws -> T
    ) async throws -> T {
        let services = try ScenarioServices(scenario: self.scenario, paths: self.paths)
        _ = try await ScenarioServices.start(services.beforeServer, build: false)
        let binary = try SwiftBuild(paths: self.paths).install(self.scenario, product: product)
        let server = ServerProcess(scenario: self.scenario, paths: self.paths)
        await Self.stop(server, services)
        let url = try LabDatabase.url(for: self.scenario)
        do {
            try await server.startBackground(binary: binary, product: product, databaseURL: url, extraEnvironment: environment, instances: instances)
            _ = try await ScenarioServices.start(services.afterServer, build: false)
            let result = try await body()
            await Self.stop(server, services)
            return result
        } catch {
            await Self.stop(server, services)
            throw error
        }
    }

    /// The load balancer first (it would answer 502 for the instances), then the server.
    static func stop(_ server: ServerProcess, _ services: ScenarioServices) async {
        for service in services.afterServer.reversed() { _ = await service.stop() }
        await server.stopBackground()
    }
}
