import Foundation
import LabServer
import LoadTestKit

/// What a scenario's lesson test does, step by step, against the real database: prepare the data, run a
/// server variant with or without the database fix, send the standard load, and return what was measured.
///
/// Lesson tests run inside `swift test`, which holds the build folder's lock, so they use the binaries the
/// test build already produced (`./lab test` builds servers and tests together) instead of building.
public struct Lesson: Sendable {
    public let paths: LabPaths
    public let scenario: Scenario
    public let database: LabDatabase

    /// - Parameter file: a file inside the scenario package (`#filePath` of the test), to find the repository.
    public init(scenarioNumber: String, file: String) throws {
        self.paths = try LabPaths.discover(from: URL(fileURLWithPath: file).deletingLastPathComponent())
        self.scenario = try Scenario.find(scenarioNumber, in: self.paths)
        self.database = LabDatabase(paths: self.paths)
    }

    /// Starts (or waits for) PostgreSQL, creates and seeds the scenario database.
    public func prepare() async throws {
        try await self.database.startServer()
        try await self.database.ensureDatabase(for: self.scenario)
        _ = try await Seeder(scenario: self.scenario, url: try LabDatabase.url(for: self.scenario)).seed()
    }

    /// Applies (or undoes) the database half of the fix from `lab.json`.
    public func setDatabaseFix(applied: Bool) async throws {
        let manifest = self.scenario.manifest
        if applied, let fix = manifest.fix {
            try await self.database.execute(try String(contentsOf: self.scenario.file(fix), encoding: .utf8), on: self.scenario)
        } else if !applied, let undo = manifest.undoFix {
            try await self.database.execute(undo, on: self.scenario)
        }
    }

    /// Runs `product` in the background, sends the scenario's standard load, stops the server.
    /// - Parameters:
    ///   - seconds: a shorter load than the standard one, for tests that need traffic, not a verdict.
    ///   - only: send only these requests of the mix (by name), like `./lab load --only`.
    public func measure(_ product: String, label: String, seconds: Double? = nil, only: [String] = []) async throws -> LoadResult {
        let binary = try SwiftBuild(paths: self.paths).install(self.scenario, product: product)
        let server = ServerProcess(scenario: self.scenario, paths: self.paths)
        await server.stopBackground()
        let url = try LabDatabase.url(for: self.scenario)
        _ = try await server.startBackground(binary: binary, product: product, databaseURL: url)
        do {
            var plan = try await self.scenario.loadPlan(database: self.database)
            if let seconds { plan.durationSeconds = seconds }
            if !only.isEmpty { plan.requests = plan.requests.filter { only.contains($0.name) } }
            let result = try await LoadGenerator.run(plan)
            await server.stopBackground()
            say("--- \(label) ---\n" + LoadReport.render(result, targets: self.scenario.manifest.targets) + "\n")
            return result
        } catch {
            await server.stopBackground()
            throw error
        }
    }

    public var targets: LoadTargets { self.scenario.manifest.targets }
}
