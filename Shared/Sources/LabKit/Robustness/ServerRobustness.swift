import Foundation

/// What `./lab test` asks of every scenario's servers, naive and fixed alike, beyond the lesson: each real
/// component stopped and started under load (``FaultDrill``) and every route fed bad input
/// (``BadInputCorpus``). The naive servers are wrong on purpose in one way (the lesson), never in these.
public enum ServerRobustness {
    /// Runs the drills and the corpus against each of `products` (already built), one after the other.
    /// - Returns: whether everything passed; `report` receives each run's lines as it ends.
    public static func check(
        _ scenario: Scenario,
        paths: LabPaths,
        products: [String] = ["server", "server-fixed"],
        report: (String) -> Void
    ) async throws -> Bool {
        let run = ServerRun(scenario: scenario, paths: paths)
        try await run.prepareDatabase()
        let database = LabDatabase(paths: paths)
        let drill = FaultDrill(scenario: scenario, paths: paths, database: database)
        var passed = true
        for product in products {
            let lines = try await run.with(product) { () -> [String] in
                var lines: [String] = []
                for component in drill.components {
                    let result = try await drill.run(component, product: product)
                    passed = passed && result.passed
                    lines.append(result.render())
                }
                let corpus = try await BadInputCorpus(scenario: scenario, database: database).run()
                passed = passed && corpus.findings.isEmpty
                lines.append(corpus.render(product: product))
                return lines
            }
            for line in lines { report(line) }
        }
        return passed
    }
}
