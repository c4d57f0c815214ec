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

    /// Runs `product` in the background (after the scenario's companions) for `body`, then stops it.
    /// - Parameters:
    ///   - environment: added to the server's environment, e.g. `["DATABASE_POOL_SIZE": "20"]`.
    ///   - instances: how many instances behind the load balancer (default: the scenario's).
    public func with<T: Sendable>(
        _ product: String,
        environment: [String: String] = [:],
        instances: Int? = nil,
        _ body: () async throws -> T
    ) async throws -> T {
        _ = try await Companions(scenario: self.scenario, paths: self.paths).start(build: false)
        let binary = try SwiftBuild(paths: self.paths).install(self.scenario, product: product)
        let server = ServerProcess(scenario: self.scenario, paths: self.paths)
        await server.stopBackground()
        let url = try LabDatabase.url(for: self.scenario)
        try await server.startBackground(binary: binary, product: product, databaseURL: url, extraEnvironment: environment, instances: instances)
        do {
            let result = try await body()
            await server.stopBackground()
            return result
        } catch {
            await server.stopBackground()
            throw error
        }
    }
}
