import ArgumentParser
import Foundation
import LabCore
import LabKit

struct Database: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop or check the lab's private PostgreSQL (127.0.0.1:54329).",
        subcommands: [DatabaseStart.self, DatabaseStop.self, DatabaseStatus.self]
    )
}

struct DatabaseStart: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "start", abstract: "Start PostgreSQL (installs it first if needed and possible).")
    func run() async throws {
        try await reportingErrors {
            let paths = try LabPaths.discover()
            let database = LabDatabase(paths: paths)
            let started = try await database.startServer()
            for folder in paths.scenarioFolders() {
                try await database.ensureDatabase(for: try Scenario(folder: folder))
            }
            printStep(started ?? "PostgreSQL already running on 127.0.0.1:\(PostgresCluster.port)")
        }
    }
}

struct DatabaseStop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stop", abstract: "Stop PostgreSQL (data is kept).")
    func run() async throws {
        try await reportingErrors {
            guard !PostgresCluster.isExternal else {
                printStep("PostgreSQL is run by Docker Compose here (LAB_POSTGRES=external); stop it with docker compose, not the lab.")
                return
            }
            let cluster = try PostgresCluster(paths: try LabPaths.discover(), install: false)
            try cluster.stop()
            printStep("PostgreSQL stopped (data kept in \(cluster.paths.postgresData.path))")
        }
    }
}

struct DatabaseStatus: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Is PostgreSQL running?")
    func run() async throws {
        try await reportingErrors {
            say(try databaseStatusLine(paths: try LabPaths.discover()))
        }
    }
}

func databaseStatusLine(paths: LabPaths) throws -> String {
    guard !PostgresCluster.isExternal else {
        let answers = ServerProcess.isListening(port: PostgresCluster.port)
        return
            "PostgreSQL: external (LAB_POSTGRES=external, Docker Compose), \(answers ? "answering" : "not answering") on 127.0.0.1:\(PostgresCluster.port)"
    }
    guard let cluster = try? PostgresCluster(paths: paths, install: false) else { return "PostgreSQL: not installed (./lab up installs it)" }
    switch cluster.status() {
    case .notInitialized: return "PostgreSQL: not created yet (./lab db start creates it)"
    case .stopped: return "PostgreSQL: stopped (./lab db start)"
    case .running(let pid): return "PostgreSQL: running on 127.0.0.1:\(PostgresCluster.port) (pid \(pid))"
    }
}

struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Fill the scenario's database with its data (safe to re-run; resumes if interrupted).")
    @OptionGroup var scenario: ScenarioArgument
    @Option(help: "Number of rows (default: the scenario's lab.json).") var rows: Int?

    func run() async throws {
        try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            _ = try await prepareDatabase(scenario, paths: paths, seed: false)
            let url = try LabDatabase.url(for: scenario)
            let report = try await Seeder(scenario: scenario, url: url).seed(rows: self.rows) { printStep($0) }
            printStep(
                report.batchesInserted == 0
                    ? "already seeded: \(report.rows) rows"
                    : "seeded \(report.rows) rows (\(report.batchesInserted) batches) in \(String(format: "%.1f", report.seconds)) s"
            )
        }
    }
}

struct Reset: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Put one scenario back to its broken start: its Sources/ (and nginx.conf, where it has one) as shipped (git), its database dropped and seeded again (and its instances' folders emptied).",
        discussion: """
            Asks first when it would throw away changes to your code. Other scenarios and your other files are never touched. \
            Your progress (./lab progress) is kept; after a full reset (not --database-only) the scenario's hints start again at hint 1.
            """
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Only the database: keep your code.") var databaseOnly = false
    @Flag(help: "Do not ask before throwing away your code changes.") var yes = false

    func run() async throws {
        try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            let sources = SourceReset(paths: paths, scenario: scenario)
            let changes = self.databaseOnly ? [] : try sources.changes()
            if !changes.isEmpty && !self.yes {
                say("This throws away your changes to \(sources.description):")
                for change in changes.prefix(20) { say("  \(change)") }
                if changes.count > 20 { say("  ... and \(changes.count - 20) more") }
                guard isatty(STDIN_FILENO) == 1 else {
                    throw LabError("not resetting without a confirmation: run it in a terminal, or add --yes")
                }
                print("and drops scenario \(scenario.number)'s database (it is seeded again). Type yes to go on: ", terminator: "")
                fflush(nil)
                guard readLine()?.trimmingCharacters(in: .whitespaces).lowercased() == "yes" else {
                    say("Nothing changed.")
                    return
                }
            }
            // A running server would keep serving the old code and hold connections to the tables dropped below.
            for line in await stopScenario(scenario, paths: paths) { printStep(line) }
            if !changes.isEmpty {
                try sources.restore()
                printStep("\(sources.description): back as shipped (\(changes.count) file\(changes.count == 1 ? "" : "s") restored or removed)")
            }
            _ = try await prepareDatabase(scenario, paths: paths, seed: false)
            try await LabDatabase(paths: paths).dropScenarioTables(for: scenario)
            printStep("dropped the tables of \(scenario.manifest.database)")
            if try ServerProcess(scenario: scenario, paths: paths).wipeInstanceFolders() {
                printStep("emptied the instances' own folders (their \"local disks\": uploaded files)")
            }
            _ = try await prepareDatabase(scenario, paths: paths)
            ProgressStore(paths: paths).update(scenario.number) { entry in
                entry.lastFindings = nil
                // Back at the broken start, with the code as shipped: the hints start again too.
                if !self.databaseOnly { entry.hintsShown = nil }
            }
            printStep("scenario \(scenario.number) is back at its start. ./lab up \(scenario.number) to begin again.")
        }
    }
}

struct Psql: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open psql on the scenario's database. Extra arguments go to psql, e.g. -c \"EXPLAIN ANALYZE ...\" or -f fix.sql."
    )
    /// One array, so that psql's own options may come first when the scenario is left out (inside a scenario
    /// folder: `../lab psql -c "..."`): the first argument is the scenario only if it names one.
    @Argument(
        parsing: .captureForPassthrough,
        help: "The scenario (01, 1 or scenario-01-single-server; default: the folder you are in), then arguments for psql."
    )
    var arguments: [String] = []

    func run() async throws {
        try await reportingErrors {
            let paths = try LabPaths.discover()
            var psqlArguments = self.arguments
            let named = psqlArguments.first.flatMap { first in first.hasPrefix("-") ? nil : try? Scenario.find(first, in: paths) }
            if named != nil { psqlArguments.removeFirst() }
            let scenario = try named ?? Scenario.find(nil, in: paths)
            let url = try await prepareDatabase(scenario, paths: paths, seed: false)
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
}
