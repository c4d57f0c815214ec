import ArgumentParser
import Foundation
import LabKit

/// `./lab redis 05 INFO stats`: redis-cli on the scenario's own Redis, so a learner never needs its port.
struct RedisCLI: LabCommand {
    static let configuration = CommandConfiguration(
        commandName: "redis",
        abstract: "Open redis-cli on the scenario's Redis. Extra arguments go to redis-cli, e.g. INFO stats, MONITOR or TTL trending."
    )
    @Argument(
        parsing: .captureForPassthrough,
        help: "The scenario (05, 5 or scenario-05-caching; default: the folder you are in), then arguments for redis-cli."
    )
    var arguments: [String] = []

    func execute() async throws {
        let paths = try LabPaths.discover()
        var cliArguments = self.arguments
        let named = cliArguments.first.flatMap { try? Scenario.find($0, in: paths) }
        if named != nil { cliArguments.removeFirst() }
        let scenario = try named ?? Scenario.find(nil, in: paths)
        let declarations = scenario.manifest.services ?? []
        guard let redis = declarations.first(where: { $0.kind == RedisService.kind }), let port = redis.port else {
            let kinds = declarations.map(\.kind).joined(separator: ", ")
            throw LabError("scenario \(scenario.number) has no Redis (its services: \(kinds.isEmpty ? "none" : kinds))")
        }
        guard let cli = Shell.which("redis-cli") else {
            throw LabError("redis-cli is not installed: sudo apt-get install -y redis-tools (./lab start \(scenario.number) installs Redis with it)")
        }
        let arguments = [cli, "-h", "127.0.0.1", "-p", String(port)] + cliArguments
        // Replace this process with redis-cli so it owns the terminal (MONITOR until Ctrl-C, the prompt).
        let cArguments = arguments.map { strdup($0) } + [nil]
        execv(cli, cArguments)
        throw LabError("could not start \(cli): \(String(cString: strerror(errno)))")
    }
}
