import ArgumentParser
import Foundation
import LabKit

struct Start: LabCommand {
    static let configuration = CommandConfiguration(abstract: "Build and start the server in the background (stop it with ./lab stop).")
    @OptionGroup var scenario: ScenarioArgument
    @OptionGroup var variant: ServerVariantOptions

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        let instances = try scenario.instances(count: self.variant.instances)
        let server = ServerProcess(scenario: scenario, paths: paths)
        // Before building: a port in use is known now, not after a build of half a minute.
        try server.ensureNotRunning()
        try server.ensurePortsFree(instances)
        let url = try await prepareScenario(scenario, paths: paths)
        let product = self.variant.product
        if !self.variant.fixed { markStarted(scenario, paths: paths) }
        printStep("building \(product) (release)...")
        let binary = try await SwiftBuild(paths: paths).build(scenario, product: product, streamOutput: true)
        printStep("starting \(product) and waiting until it answers /health...")
        let started = try await server.startBackground(binary: binary, product: product, databaseURL: url, instances: instances.count)
        let services = try ScenarioServices(scenario: scenario, paths: paths)
        for line in try await ScenarioServices.start(services.afterServer, build: true) { printStep(line) }
        // What a server says is wrong as it starts (a pool that could not open its connections) comes
        // within a second of its first answer; show it here, not only in the log.
        try await Task.sleep(for: .seconds(1))
        let errors = server.loggedErrors()
        if !errors.isEmpty {
            printStep("⚠ \(product) logged \(errors.count == 1 ? "an error" : "errors") while starting:")
            for line in errors.prefix(5) { say("  " + line) }
        }
        if scenario.hasLoadBalancer {
            let list = started.map { "\($0.instance.label), pid \($0.pid)" }.joined(separator: "; ")
            printStep("\(product) running in the background: \(list), behind the load balancer on \(scenario.serverURL)")
            say("Logs: ./lab logs \(scenario.number) (every instance's, in .lab/\(scenario.folderName)/server-*.log)")
        } else {
            let pid = started.first?.pid ?? 0
            printStep("\(product) running in the background on \(scenario.serverURL) (pid \(pid), log \(server.logFiles.first?.path ?? ""))")
        }
        say("Load it: ./lab load \(scenario.number)    Stop it: ./lab stop \(scenario.number)")
    }
}

struct Stop: LabCommand {
    static let configuration = CommandConfiguration(abstract: "Stop the scenario's server or watch mode (gracefully), and its own services.")
    @OptionGroup var scenario: ScenarioArgument

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        let stopped = await stopScenario(scenario, paths: paths)
        for line in stopped { printStep(line) }
        if stopped.isEmpty { printStep("nothing of scenario \(scenario.number) was running in the background") }
    }
}

struct Build: LabCommand {
    static let configuration = CommandConfiguration(abstract: "Build a scenario's servers and tests (release, shared build folder).")
    @OptionGroup var scenario: ScenarioArgument

    func execute() async throws {
        let (paths, scenario) = try self.scenario.resolve()
        try SwiftBuild(paths: paths).prepareScratch(for: scenario)
        let status = try await Shell.run(SwiftBuild(paths: paths).arguments(for: scenario) + ["--build-tests"], environment: SwiftBuild.environment)
        if status != 0 { throw ExitCode(status) }
    }
}
