import ArgumentParser
import Foundation
import LabCore
import LabKit

struct Up: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Start everything for a scenario: PostgreSQL, seed data, build, and the server in watch mode."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Run the reference solution (server-fixed) instead of the naive server.") var fixed = false
    @Flag(help: "Run watch mode in the background and return once the server answers (Codespaces post-start).") var detach = false
    @OptionGroup var instances: InstancesOption

    func run() async throws {
        try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            let instances = try scenario.instances(count: self.instances.instances)
            say("Scenario \(scenario.number): \(scenario.manifest.title)\n")
            markStarted(scenario, paths: paths)
            let url = try await prepareDatabase(scenario, paths: paths)
            try await startObservability(paths: paths)
            let product = productName(fixed: self.fixed)
            if self.detach {
                try await DetachedWatch(paths: paths, scenario: scenario, product: product, instances: instances).start()
                return
            }
            // In a Codespace the post-start step already runs watch mode in the background.
            if DetachedWatch.process(scenario, paths: paths).running() != nil {
                printStep("already running: " + (scenarioState(scenario, paths: paths) ?? "watch mode in the background"))
                say(
                    """
                      Its output (rebuilds, compiler errors):  ./lab logs \(scenario.number) --follow
                      To run it in this terminal instead:       ./lab stop \(scenario.number), then ./lab up \(scenario.number)\(self.fixed ? " --fixed" : "")
                    """
                )
                return
            }
            try await WatchMode(paths: paths, scenario: scenario, product: product, databaseURL: url, instances: instances).run()
        }
    }
}

/// `--instances N`, for scenarios whose server runs as several instances behind a load balancer.
struct InstancesOption: ParsableArguments {
    @Option(help: "How many instances behind the load balancer, for scenarios that have one (04: 1 to 3; default 2).")
    var instances: Int?
}

struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build and run the server; rebuild and restart it whenever a file under Sources/ changes."
    )
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Run server-fixed instead of server.") var fixed = false
    @OptionGroup var instances: InstancesOption

    func run() async throws {
        try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            let instances = try scenario.instances(count: self.instances.instances)
            let url = try await prepareDatabase(scenario, paths: paths, seed: false)
            markStarted(scenario, paths: paths)
            try await WatchMode(paths: paths, scenario: scenario, product: productName(fixed: self.fixed), databaseURL: url, instances: instances)
                .run()
        }
    }
}

struct Start: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build and start the server in the background (stop it with ./lab stop).")
    @OptionGroup var scenario: ScenarioArgument
    @Flag(help: "Start server-fixed instead of server.") var fixed = false
    @OptionGroup var instances: InstancesOption

    func run() async throws {
        try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            let count = try scenario.instances(count: self.instances.instances).count
            let server = ServerProcess(scenario: scenario, paths: paths)
            // Before building: a port in use is known now, not after a build of half a minute.
            try server.ensureNotRunning()
            try server.ensurePortsFree(try scenario.instances(count: count))
            let url = try await prepareDatabase(scenario, paths: paths)
            try await startObservability(paths: paths)
            let product = productName(fixed: self.fixed)
            if !self.fixed { markStarted(scenario, paths: paths) }
            for line in try await Companions(scenario: scenario, paths: paths).start(build: true) { printStep(line) }
            printStep("building \(product) (release)...")
            let binary = try SwiftBuild(paths: paths).build(scenario, product: product, streamOutput: true)
            printStep("starting \(product) and waiting until it answers /health...")
            let started = try await server.startBackground(binary: binary, product: product, databaseURL: url, instances: count)
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
                printStep("\(product) running in the background: \(list), behind nginx on \(scenario.serverURL)")
                say("Logs: ./lab logs \(scenario.number) (every instance's, in .lab/\(scenario.folderName)/server-*.log)")
            } else {
                let pid = started.first?.pid ?? 0
                printStep("\(product) running in the background on \(scenario.serverURL) (pid \(pid), log \(server.logFiles.first?.path ?? ""))")
            }
            say("Load it: ./lab load \(scenario.number)    Stop it: ./lab stop \(scenario.number)")
        }
    }
}

struct Stop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Stop the scenario's background server or watch mode (gracefully).")
    @OptionGroup var scenario: ScenarioArgument

    func run() async throws {
        try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            let stopped = await stopScenario(scenario, paths: paths)
            for line in stopped { printStep(line) }
            if stopped.isEmpty { printStep("no background server of scenario \(scenario.number) was running") }
        }
    }
}

struct Logs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the output of the scenario's background server or watch mode.")
    @OptionGroup var scenario: ScenarioArgument
    @Flag(name: .shortAndLong, help: "Keep printing new lines as they come (Ctrl-C to quit).") var follow = false

    func run() async throws {
        try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            // The log of what runs now (watch mode or a ./lab start server); else the most recent one.
            let watch = DetachedWatch.process(scenario, paths: paths)
            let server = ServerProcess(scenario: scenario, paths: paths)
            // A server started with ./lab start: one log per instance, shown together (tail names each file).
            let running = watch.running() != nil ? [watch.logFile] : server.running() != nil ? server.logFiles : nil
            let date = { (url: URL) in (try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate) ?? .distantPast }
            let newest = [[watch.logFile], server.logFiles].filter { files in
                files.contains { FileManager.default.fileExists(atPath: $0.path) }
            }.max { a, b in (a.map(date).max() ?? .distantPast) < (b.map(date).max() ?? .distantPast) }
            guard let logs = running ?? newest, !logs.isEmpty else {
                throw LabError("no log yet: start the server with ./lab up \(scenario.number) --detach or ./lab start \(scenario.number)")
            }
            let status = try Shell.run(["tail", "-n", "60"] + (self.follow ? ["-F"] : []) + logs.map(\.path))
            if status != 0 { throw ExitCode(status) }
        }
    }
}

/// Records in the learner's progress that they started the scenario (the first time only).
func markStarted(_ scenario: Scenario, paths: LabPaths) {
    if let warning = ProgressStore(paths: paths).update(scenario.number, { $0.started = $0.started ?? Date() }) { printStep(warning) }
}

/// Starts the native Prometheus and PostgreSQL exporter when installed (Docker Compose runs its own).
func startObservability(paths: LabPaths) async throws {
    for line in try await Observability(paths: paths).start() { printStep(line) }
}

struct Build: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Build a scenario's servers and tests (release, shared build folder).")
    @OptionGroup var scenario: ScenarioArgument

    func run() async throws {
        try await reportingErrors {
            let (paths, scenario) = try self.scenario.resolve()
            try SwiftBuild(paths: paths).prepareScratch(for: scenario)
            let status = try Shell.run(SwiftBuild(paths: paths).arguments(for: scenario) + ["--build-tests"])
            if status != 0 { throw ExitCode(status) }
        }
    }
}
