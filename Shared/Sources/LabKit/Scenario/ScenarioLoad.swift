import Foundation
import LoadTestKit

extension Scenario {
    /// The scenario's standard load as a ``LoadPlan``, with its `{placeholders}` filled from the seeded data.
    /// - Parameters:
    ///   - url: the server to load (default: the scenario's server).
    ///   - database: reads the parameter values (e.g. real emails) with the SQL in `lab.json`.
    public func loadPlan(url: String? = nil, database: LabDatabase) async throws -> LoadPlan {
        let load = self.manifest.load
        var parameters: [String: [String]] = [:]
        for (name, sql) in load.parameters.sorted(by: { $0.key < $1.key }) {
            // As the administrator, so a load test can start even when a server's pool holds every ordinary slot.
            let values = try await database.strings(sql, on: self, asAdmin: true)
            guard !values.isEmpty else {
                throw LabError("no values for {\(name)}: the database looks empty. Seed it first: ./lab seed \(self.number)")
            }
            parameters[name] = values
        }
        return LoadPlan(
            url: url ?? self.serverURL,
            users: load.users,
            durationSeconds: load.durationSeconds,
            timeoutSeconds: load.timeoutSeconds,
            requests: load.requests,
            journeys: load.journeys,
            parameters: parameters
        )
    }
}

extension LoadPlan {
    /// `LAB_DOCS_MAX_LOAD_SECONDS`: `./lab docs-check` runs every load of the guides shortened to this many
    /// seconds (their report, not their numbers, is what it checks).
    public static let docsMaxSecondsVariable = "LAB_DOCS_MAX_LOAD_SECONDS"

    /// The plan, shortened when ``docsMaxSecondsVariable`` says so.
    public func shortenedForDocsCheck() -> LoadPlan {
        guard let text = ProcessInfo.processInfo.environment[Self.docsMaxSecondsVariable], let cap = Double(text), cap > 0 else { return self }
        var plan = self
        plan.durationSeconds = min(plan.durationSeconds, cap)
        return plan
    }
}
