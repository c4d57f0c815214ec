import Foundation
import LoadTestKit

/// What `./lab load` and `loadtest run` do around the generator: a live progress line, the report, the
/// verdict, the `--json` file, and the exit code (0 all targets met, 1 a target missed).
public enum LoadTestRunner {
    /// - Parameters:
    ///   - servers: the lab servers whose `/metrics` to read (a scenario's instances); default: the plan's URL
    ///     when it is on this machine.
    ///   - database: the lab's PostgreSQL, to report how much it wrote to its write-ahead log during the load.
    public static func run(
        _ plan: LoadPlan,
        targets: LoadTargets,
        jsonPath: String?,
        servers: [ServerInstance]? = nil,
        database: (LabDatabase, Scenario)? = nil
    ) async throws -> Int32 {
        var walBefore: String?
        if let (database, scenario) = database { walBefore = try? await database.walPosition(on: scenario) }
        // A lab scenario's load: say when other programs took the CPU (the timing then says more about them).
        let machine = database.map { MachineLoad(paths: $0.0.paths) }
        say("Sending load: \(plan.users) users for \(Int(plan.durationSeconds)) s to \(plan.url) (timeout \(plan.timeoutSeconds) s per request)")
        let load = {
            try await LoadGenerator.run(plan) { progress in
                say(LoadReport.progressLine(progress, durationSeconds: plan.durationSeconds))
            }
        }
        // A lab server on this machine: also show what it saw (pool, connections) from its /metrics.
        let local = URL(string: plan.url).flatMap { url in ["127.0.0.1", "localhost"].contains(url.host ?? "") ? url.port ?? 80 : nil }
        let observed = { () async throws -> (LoadResult, ServerMetricsSummary?) in
            if let servers = servers ?? local.map({ [ServerInstance(name: nil, port: $0)] }) {
                return try await ServerMetricsSummary.observe(servers, during: load)
            }
            return (try await load(), nil)
        }
        // A scenario with a streaming replica: how far behind it was, which no server metric shows.
        let ((result, serverSide), lag) =
            if let (database, scenario) = database {
                try await ReplicationLag.observe(scenario, database: database, during: observed)
            } else {
                (try await observed(), nil)
            }
        var sideLines = serverSide?.render()
        if let line = lag?.render() { sideLines = (sideLines.map { $0 + "\n" } ?? "") + "  " + line }
        if let (database, scenario) = database, let before = walBefore,
            let bytes = try? await database.walBytes(since: before, on: scenario)
        {
            let answered = Double(result.totals.succeeded + result.totals.httpErrorCount + result.totals.wrongAnswers)
            sideLines = (sideLines.map { $0 + "\n" } ?? "") + Self.walLine(bytes: bytes, answered: answered)
        }
        say("")
        say(LoadReport.render(result, targets: targets, serverSide: sideLines))
        if let note = machine?.note() { say("\n" + note) }
        if let jsonPath {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: jsonPath))
            say("\nSaved to \(jsonPath). Compare two runs with: ./lab compare BEFORE.json AFTER.json")
        }
        let passed = result.passes(targets)
        return passed ? 0 : 1
    }

    /// "PostgreSQL wrote 412.0 MB to its write-ahead log (4.2 KB per request answered)": what every change
    /// (row, index entry) costs on disk. Unlike throughput, it hardly varies from run to run, so it shows the
    /// price of an index even on a busy machine.
    static func walLine(bytes: Double, answered: Double) -> String {
        let perRequest = answered > 0 ? String(format: " (%.1f KB per request answered)", bytes / answered / 1024) : ""
        return "  " + "Write-ahead log written".padding(toLength: 34, withPad: " ", startingAt: 0)
            + String(format: "%.1f MB", bytes / 1_048_576) + perRequest
    }

    /// Reads two `--json` files and prints them side by side.
    public static func compare(beforePath: String, afterPath: String) throws -> String {
        func load(_ path: String) throws -> LoadResult {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw LabError("cannot read \(path): save a run first with ./lab load NN --json \(path)")
            }
            do {
                return try JSONDecoder().decode(LoadResult.self, from: data)
            } catch {
                throw LabError("\(path) is not a load-test result saved with --json (\(error))")
            }
        }
        let before = try load(beforePath)
        let after = try load(afterPath)
        return LoadComparison.render(
            before: before,
            after: after,
            beforeName: URL(fileURLWithPath: beforePath).deletingPathExtension().lastPathComponent.replacingOccurrences(of: ".loadtest", with: ""),
            afterName: URL(fileURLWithPath: afterPath).deletingPathExtension().lastPathComponent.replacingOccurrences(of: ".loadtest", with: "")
        )
    }
}
