import ArgumentParser
import Foundation
import LabCore
import LabKit

struct Psql: LabCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open psql on the scenario's database. Extra arguments go to psql, e.g. -c \"EXPLAIN ANALYZE ...\" or -f fix.sql.",
        discussion: "With --replica first (./lab psql 07 --replica -c \"...\"): the same database on the scenario's streaming replica."
    )
    /// One array, so that psql's own options may come first when the scenario is left out (inside a scenario
    /// folder: `../lab psql -c "..."`): the first argument is the scenario only if it names one.
    @Argument(
        parsing: .captureForPassthrough,
        help: "The scenario (01, 1 or scenario-01-single-server; default: the folder you are in), then arguments for psql."
    )
    var arguments: [String] = []

    func execute() async throws {
        let paths = try LabPaths.discover()
        var psqlArguments = self.arguments
        let named = psqlArguments.first.flatMap { first in first.hasPrefix("-") ? nil : try? Scenario.find(first, in: paths) }
        if named != nil { psqlArguments.removeFirst() }
        let scenario = try named ?? Scenario.find(nil, in: paths)
        var url = try await prepareDatabase(scenario, paths: paths, seed: false)
        // `--replica`: the scenario's streaming replica (the lab's own option, taken out before psql sees the rest).
        if psqlArguments.first == "--replica" {
            psqlArguments.removeFirst()
            let replicas = try ScenarioServices(scenario: scenario, paths: paths).all.compactMap { $0 as? PostgresReplicaService }
            guard let replica = replicas.first else { throw LabError("scenario \(scenario.number) has no replica (--replica is for scenario 07)") }
            url = try replica.url(database: scenario.manifest.database)
        }
        let psql =
            (try? PostgresCluster(paths: paths, install: false)).map { $0.binDir.appendingPathComponent("psql").path }
            .flatMap { FileManager.default.isExecutableFile(atPath: $0) ? $0 : nil } ?? Shell.which("psql")
        guard let psql else { throw LabError("psql is not installed: sudo apt-get install -y postgresql-client") }
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = url.password ?? ""
        let arguments =
            [psql, "--host", url.host, "--port", String(url.port), "--username", url.username, "--dbname", url.database]
            + psqlArguments
        // Replace this process with psql so it owns the terminal (line editing, Ctrl-C, \q).
        for (key, value) in environment { setenv(key, value, 1) }
        let cArguments = arguments.map { strdup($0) } + [nil]
        execv(psql, cArguments)
        throw LabError("could not start \(psql): \(String(cString: strerror(errno)))")
    }
}
