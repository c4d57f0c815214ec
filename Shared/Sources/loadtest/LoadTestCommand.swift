import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

/// `loadtest`: the load tool on its own, for any URL (`./lab load` runs the same engine with a scenario's mix).
@main
struct LoadTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Closed-model HTTP load generator that counts every request sent (timeouts and connection errors are failures).",
        subcommands: [Run.self, CompareResults.self],
        defaultSubcommand: Run.self
    )

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Load one URL with N users for D seconds.")
        @Argument(help: "Full URL to request, e.g. http://127.0.0.1:8080/health") var url: String
        @Option(name: [.short, .long], help: "Virtual users (connections), each waiting for its answer.") var users = 100
        @Option(name: [.short, .long], help: "Seconds of load.") var duration = 20.0
        @Option(help: "Seconds before a request counts as timed out.") var timeout = 5.0
        @Option(help: "Event-loop threads of the load tool.") var threads = 1
        @Option(help: "Fail (exit 1) below this success rate, in percent.") var minSuccessRate: Double?
        @Option(help: "Fail (exit 1) above this p99, in milliseconds (a p99 among requests with no answer always fails).") var maxP99: Double?
        @Option(help: "Fail (exit 1) below this throughput, in answered requests per second.") var minThroughput: Double?
        @Flag(
            help: "Every user connects from 127.0.0.1, instead of one loopback address per user (which a load balancer's ip_hash tells apart)."
        )
        var singleSourceAddress = false
        @Option(help: "Save the result as JSON to this file.") var json: String?

        func run() async throws {
            guard let schemeEnd = self.url.range(of: "://"),
                let pathStart = self.url[schemeEnd.upperBound...].firstIndex(of: "/")
            else {
                throw ValidationError("the URL needs a path, e.g. http://127.0.0.1:8080/health")
            }
            let plan = LoadPlan(
                url: String(self.url[..<pathStart]),
                users: self.users,
                durationSeconds: self.duration,
                timeoutSeconds: self.timeout,
                requests: [RequestTemplate(name: String(self.url[pathStart...]), path: String(self.url[pathStart...]))],
                threads: self.threads,
                singleSourceAddress: self.singleSourceAddress
            )
            do {
                try plan.validate()
            } catch {
                throw ValidationError(error.description)
            }
            let targets = LoadTargets(minSuccessRate: self.minSuccessRate, maxP99Milliseconds: self.maxP99, minRequestsPerSecond: self.minThroughput)
            let status = try await LoadTestRunner.run(plan, targets: targets, jsonPath: self.json)
            if status != 0 { throw ExitCode(status) }
        }
    }

    struct CompareResults: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "compare", abstract: "Show two saved results side by side.")
        @Argument var before: String
        @Argument var after: String
        func run() async throws {
            do {
                print(try LoadTestRunner.compare(beforePath: self.before, afterPath: self.after))
            } catch let error as LabError {
                throw ValidationError(error.description)
            }
        }
    }
}
