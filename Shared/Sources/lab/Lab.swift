import ArgumentParser
import Foundation
import LabKit

/// `./lab`: everything a learner (and CI) does with a scenario, natively, in one command.
@main
struct Lab: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Run the system-design lab scenarios natively: database, services, seed, build, server, load test.",
        discussion: """
            Scenario names: 01, 1 or scenario-01-single-server. Inside a scenario folder it can be left out.
            Start here:  ./lab up 01   (and open the exercise panel it prints: http://127.0.0.1:8090)
            """,
        groupedSubcommands: [
            CommandGroup(
                name: "Run a scenario",
                subcommands: [Up.self, Watch.self, Start.self, Stop.self, Logs.self, Status.self, Down.self, Build.self]
            ),
            CommandGroup(
                name: "Is it fixed?",
                subcommands: [Load.self, Compare.self, Check.self, Hint.self, ProgressCommand.self, PanelCommand.self]
            ),
            CommandGroup(name: "Its database", subcommands: [Psql.self, RedisCLI.self, Seed.self, Reset.self, Database.self]),
            CommandGroup(name: "Faults and bad input", subcommands: [Deploy.self, Fault.self, Drill.self, BadInput.self]),
            CommandGroup(name: "For maintainers", subcommands: [Test.self, Docs.self]),
        ]
    )
}

/// A lab command: its work is in ``execute()``; ``run()`` turns the errors a learner can act on (a
/// ``LabError``, a failed build) into a plain message and exit code 2, in one place.
protocol LabCommand: AsyncParsableCommand {
    func execute() async throws
}

extension LabCommand {
    func run() async throws {
        do {
            try await self.execute()
        } catch let error as LabError {
            FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
            throw ExitCode(2)
        } catch let error as SwiftBuild.BuildFailed {
            FileHandle.standardError.write(Data("\(error.description)\n".utf8))
            throw ExitCode(2)
        }
    }
}

/// The scenario argument every command shares.
struct ScenarioArgument: ParsableArguments {
    @Argument(help: "The scenario: 01, 1 or scenario-01-single-server (default: the folder you are in).")
    var scenario: String?

    func resolve() throws -> (LabPaths, Scenario) {
        let paths = try LabPaths.discover()
        return (paths, try Scenario.find(self.scenario, in: paths))
    }
}

/// Which server runs, and how many of it: `--fixed`, `--instances N`.
struct ServerVariantOptions: ParsableArguments {
    @Flag(help: "Run the reference solution (server-fixed) instead of the naive server.") var fixed = false
    @Option(help: "How many instances behind the load balancer, for scenarios that have one (04: 1 to 3; default 2).")
    var instances: Int?

    var product: String { self.fixed ? "server-fixed" : "server" }
}

func printStep(_ text: String) {
    say("▶ \(text)")
}
