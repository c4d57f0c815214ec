import ArgumentParser
import Foundation
import LabKit

/// `./lab`: everything a learner (and CI) does with a scenario, natively, in one command.
@main
struct Lab: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Run the system-design lab scenarios natively: database, seed, build, server, load test.",
        discussion: """
            Scenario names: 01, 1 or scenario-01-single-server. Inside a scenario folder it can be left out.
            Start here:  ./lab up 01
            """,
        subcommands: [
            Up.self, Watch.self, Start.self, Stop.self, Logs.self, Load.self, Compare.self, Psql.self, Seed.self, Reset.self, Check.self, Hint.self,
            ProgressCommand.self, Database.self, Drill.self, BadInput.self,
            Status.self, Down.self, Build.self, Test.self, Docs.self,
        ]
    )
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

/// Makes a ``LabError`` print as a plain message with exit code 2 instead of a stack of Swift types.
func reportingErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as LabError {
        FileHandle.standardError.write(Data("error: \(error.description)\n".utf8))
        throw ExitCode(2)
    } catch let error as SwiftBuild.BuildFailed {
        FileHandle.standardError.write(Data("\(error.description)\n".utf8))
        throw ExitCode(2)
    }
}

func printStep(_ text: String) {
    say("▶ \(text)")
}
