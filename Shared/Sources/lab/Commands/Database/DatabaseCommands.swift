import ArgumentParser
import Foundation
import LabKit

struct Database: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop or check the lab's private PostgreSQL (127.0.0.1:54329).",
        subcommands: [DatabaseStart.self, DatabaseStop.self, DatabaseStatus.self]
    )
}

struct DatabaseStart: LabCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start PostgreSQL (installs it first if needed and possible).")
    func execute() async throws {
        let paths = try LabPaths.discover()
        let database = LabDatabase(paths: paths)
        let started = try await database.startServer()
        for folder in paths.scenarioFolders() {
            try await database.ensureDatabase(for: try Scenario(folder: folder))
        }
        printStep(started ?? "PostgreSQL already running on 127.0.0.1:\(PostgresCluster.port)")
    }
}

struct DatabaseStop: LabCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop PostgreSQL (data is kept).")
    func execute() async throws {
        guard !PostgresService.isExternal else {
            printStep("PostgreSQL is run by Docker Compose here (LAB_POSTGRES=external); stop it with docker compose, not the lab.")
            return
        }
        printStep(try await Self.primary(try LabPaths.discover()).stop() ?? "PostgreSQL was not running")
    }

    /// The lab's PostgreSQL, as the service every scenario declares.
    static func primary(_ paths: LabPaths) throws -> PostgresService {
        let scenario = try Scenario(folder: try paths.scenarioFolders().first ?? { throw LabError("no scenario folder in \(paths.root.path)") }())
        return try PostgresService(declaration: ServiceDeclaration(kind: PostgresService.kind), scenario: scenario, paths: paths)
    }
}

struct DatabaseStatus: LabCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Is PostgreSQL running?")
    func execute() async throws {
        say(try DatabaseStop.primary(try LabPaths.discover()).status())
    }
}
