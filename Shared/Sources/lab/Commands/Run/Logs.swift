import ArgumentParser
import Foundation
import LabKit

struct Logs: LabCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the output of the scenario's server or watch mode, or of one of its services (./lab logs 04 nginx)."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Argument(help: "A service of the scenario (postgres, nginx, redis, a companion...), instead of the server.") var service: String?
    @Flag(name: .shortAndLong, help: "Keep printing new lines as they come (Ctrl-C to quit).") var follow = false

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        let logs: [URL]
        if let name = self.service {
            let services = try ScenarioServices(scenario: scenario, paths: paths)
            guard let service = services.named(name) else {
                throw LabError("scenario \(scenario.number) has no service '\(name)'; it has: \(services.all.map(\.name).joined(separator: ", "))")
            }
            logs = service.logFiles.filter { FileManager.default.fileExists(atPath: $0.path) }
            guard !logs.isEmpty else { throw LabError("\(name) has no log yet: is it started? (./lab status)") }
        } else {
            // The log of what runs now (watch mode or a ./lab start server); else the most recent one.
            let watch = DetachedWatch.process(scenario, paths: paths)
            let server = ServerProcess(scenario: scenario, paths: paths)
            // A server started with ./lab start: one log per instance, shown together (tail names each file).
            let running = watch.running() != nil ? [watch.logFile] : server.running() != nil ? server.logFiles : nil
            let date = { (url: URL) in (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast }
            let newest = [[watch.logFile], server.logFiles].filter { files in
                files.contains { FileManager.default.fileExists(atPath: $0.path) }
            }.max { a, b in (a.map(date).max() ?? .distantPast) < (b.map(date).max() ?? .distantPast) }
            guard let found = running ?? newest, !found.isEmpty else {
                throw LabError("no log yet: start the server with ./lab up \(scenario.number) --detach or ./lab start \(scenario.number)")
            }
            logs = found
        }
        let status = try await Shell.run(["tail", "-n", "60"] + (self.follow ? ["-F"] : []) + logs.map(\.path))
        if status != 0 { throw ExitCode(status) }
    }
}
