import Foundation
import LabCore
import LabKit

/// Gets a scenario ready to run its server: the services that come before the server (PostgreSQL first),
/// the scenario's database seeded, and Prometheus when installed. Returns the database URL.
/// With `LAB_POSTGRES=external` (Docker Compose) and the like, those services are someone else's: the lab
/// waits for them.
/// - Parameter build: build companion programs first (false in tests, which may not build).
func prepareScenario(_ scenario: Scenario, paths: LabPaths, build: Bool = true) async throws -> DatabaseURL {
    let services = try ScenarioServices(scenario: scenario, paths: paths)
    for line in try await ScenarioServices.start(services.beforeServer, build: build) { printStep(line) }
    let url = try await prepareDatabase(scenario, paths: paths)
    printStep(try await Observability(paths: paths).start())
    return url
}

/// Makes sure the scenario's database is up, exists and (by default) is seeded; returns its URL.
func prepareDatabase(_ scenario: Scenario, paths: LabPaths, seed: Bool = true) async throws -> DatabaseURL {
    let database = LabDatabase(paths: paths)
    if let message = try await database.startServer() { printStep(message) }
    try await database.ensureDatabase(for: scenario)
    let url = try LabDatabase.url(for: scenario)
    if seed {
        let report = try await Seeder(scenario: scenario, url: url).seed { printStep($0) }
        if report.batchesInserted > 0 {
            printStep("seeded \(report.rows) rows in \(String(format: "%.1f", report.seconds)) s")
        } else {
            printStep("database \(url.database) already seeded (\(report.rows) rows in \(report.table))")
        }
    }
    return url
}

/// Stops what runs for a scenario: the watch loop (which stops its server), a server started with
/// `./lab start`, and the scenario's own services (not the ones every scenario shares, like PostgreSQL).
/// Returns one line per thing stopped.
func stopScenario(_ scenario: Scenario, paths: LabPaths) async -> [String] {
    var stopped: [String] = []
    if await DetachedWatch.process(scenario, paths: paths).stop() {
        stopped.append("stopped watch mode of \(scenario.folderName)")
    }
    if await WatchMode.process(scenario, paths: paths).stop() {
        stopped.append("stopped watch mode of \(scenario.folderName) (the ./lab up in another terminal)")
    }
    let services = try? ScenarioServices(scenario: scenario, paths: paths)
    for service in services?.afterServer.reversed() ?? [] {
        if let line = await service.stop() { stopped.append(line) }
    }
    if await ServerProcess(scenario: scenario, paths: paths).stopBackground() {
        stopped.append("stopped the server\(scenario.hasLoadBalancer ? "s" : "") of \(scenario.folderName)")
    }
    for service in services?.beforeServer.reversed() ?? [] where !service.isShared {
        if let line = await service.stop() { stopped.append(line) }
    }
    return stopped
}

/// Records in the learner's progress that they started the scenario (the first time only).
func markStarted(_ scenario: Scenario, paths: LabPaths) {
    if let warning = ProgressStore(paths: paths).update(scenario.number, { $0.started = $0.started ?? Date() }) { printStep(warning) }
}

/// What the lab runs for `scenario` itself, in words, or nil when it runs nothing: watch mode (with what
/// its server is doing) or a server started with `./lab start`.
func scenarioState(_ scenario: Scenario, paths: LabPaths) -> String? {
    let server = ServerProcess(scenario: scenario, paths: paths)
    let watching: (where: String, pid: Int32, product: String)? =
        DetachedWatch.process(scenario, paths: paths).running().map { ("in the background", $0.pid, $0.tag) }
        ?? WatchMode.process(scenario, paths: paths).running().map { ("in another terminal", $0.pid, $0.tag) }
    if let watching {
        let answers = ServerProcess.healthStatus(port: scenario.manifest.port) == 200
        let state = WatchState(scenario: scenario, paths: paths).read() ?? "starting"
        let detail = state == "serving" && !answers ? "but nothing answers on \(scenario.serverURL)" : state
        return "\(watching.product) in watch mode \(watching.where) (pid \(watching.pid)) on \(scenario.serverURL): \(detail)"
    }
    guard let (pid, product) = server.running() else { return nil }
    let instances = server.runningInstances()
    return instances.count > 1 || scenario.hasLoadBalancer
        ? "\(product) running in the background: " + instances.map { "\($0.instance.label) pid \($0.pid)" }.joined(separator: ", ")
        : "\(product) running in the background (pid \(pid)) on \(scenario.serverURL)"
}

/// Refuses to load or check a scenario whose port another scenario's server answers (most of them share 8080):
/// the numbers would be about the wrong program, and a check would judge it.
func ensureNotAnotherScenariosServer(_ scenario: Scenario, paths: LabPaths) throws {
    guard scenarioState(scenario, paths: paths) == nil else { return }
    let others = try paths.scenarioFolders().map { try Scenario(folder: $0) }
        .filter { $0.folderName != scenario.folderName && $0.manifest.port == scenario.manifest.port }
    guard let other = others.first(where: { scenarioState($0, paths: paths) != nil }) else { return }
    throw LabError(
        "\(scenario.serverURL) is answered by scenario \(other.number)'s server (\(other.folderName)), not scenario \(scenario.number)'s. "
            + "Stop it (./lab stop \(other.number), or Ctrl-C in its terminal), start this one (./lab up \(scenario.number)), then run the command again."
    )
}
