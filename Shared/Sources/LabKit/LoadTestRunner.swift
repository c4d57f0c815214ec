import Foundation
import LoadTestKit

/// What `./lab load` and `loadtest run` do around the generator: a live progress line, the report, the
/// verdict, the `--json` file, and the exit code (0 all targets met, 1 a target missed).
public enum LoadTestRunner {
    /// - Parameter servers: the lab servers whose `/metrics` to read (a scenario's instances); default: the
    ///   plan's URL when it is on this machine.
    public static func run(_ plan: LoadPlan, targets: LoadTargets, jsonPath: String?, servers: [ServerInstance]? = nil) async throws -> Int32 {
        say("Sending load: \(plan.users) users for \(Int(plan.durationSeconds)) s to \(plan.url) (timeout \(plan.timeoutSeconds) s per request)")
        let load = {
            try await LoadGenerator.run(plan) { progress in
                say(LoadReport.progressLine(progress, durationSeconds: plan.durationSeconds))
            }
        }
        // A lab server on this machine: also show what it saw (pool, connections) from its /metrics.
        let local = URL(string: plan.url).flatMap { url in ["127.0.0.1", "localhost"].contains(url.host ?? "") ? url.port ?? 80 : nil }
        let result: LoadResult
        let serverSide: ServerMetricsSummary?
        if let servers = servers ?? local.map({ [ServerInstance(name: nil, port: $0)] }) {
            (result, serverSide) = try await ServerMetricsSummary.observe(servers, during: load)
        } else {
            (result, serverSide) = (try await load(), nil)
        }
        say("")
        say(LoadReport.render(result, targets: targets, serverSide: serverSide?.render()))
        if let jsonPath {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(result).write(to: URL(fileURLWithPath: jsonPath))
            say("\nSaved to \(jsonPath). Compare two runs with: ./lab compare BEFORE.json AFTER.json")
        }
        let passed = result.passes(targets)
        return passed ? 0 : 1
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
