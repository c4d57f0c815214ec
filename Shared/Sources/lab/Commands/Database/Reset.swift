import ArgumentParser
import Foundation
import LabKit

struct Reset: LabCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Put one scenario back to its broken start: its Sources/ and its services' configuration files (nginx.conf...) as shipped (git), its database dropped and seeded again, its cache emptied (and its instances' folders).",
        discussion: """
            Asks first when it would throw away changes to your code. Other scenarios and your other files are never touched. \
            Your progress (./lab progress) is kept; after a full reset (not --database-only) the scenario's hints start again at hint 1.
            """
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Only the database: keep your code.") var databaseOnly = false
    @Flag(help: "Do not ask before throwing away your code changes.") var yes = false

    func execute() async throws {
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
        // Every service back at its start: the database dropped and seeded again, a cache emptied...
        let services = try ScenarioServices(scenario: scenario, paths: paths)
        _ = try await ScenarioServices.start(services.beforeServer.filter(\.isShared), build: false)
        for line in try await services.reset() { printStep(line) }
        if try ServerProcess(scenario: scenario, paths: paths).wipeInstanceFolders() {
            printStep("emptied the instances' own folders (their \"local disks\": uploaded files)")
        }
        ProgressStore(paths: paths).update(scenario.number) { entry in
            entry.lastFindings = nil
            // Back at the broken start, with the code as shipped: the hints start again too.
            if !self.databaseOnly { entry.hintsShown = nil }
        }
        printStep("scenario \(scenario.number) is back at its start. ./lab up \(scenario.number) to begin again.")
    }
}
