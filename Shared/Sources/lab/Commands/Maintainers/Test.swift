import ArgumentParser
import Foundation
import LabKit
import LoadTestKit

/// The README's test command: builds everything once into the shared build folder, then runs the Shared
/// unit tests and every scenario's tests (lesson tests included) against the private PostgreSQL.
struct Test: LabCommand {
    static let configuration = CommandConfiguration(abstract: "Run all tests: Shared unit tests, then every scenario's lesson and docs tests.")

    /// The groups of stages, in the order they run.
    enum Group: String, CaseIterable, ExpressibleByArgument {
        case format, shared, scenarios, robustness, panel, docs
        case postStart = "post-start"
        case watch
    }

    @Option(help: "Run only these groups of stages (\(Group.allCases.map(\.rawValue).joined(separator: ", "))); repeatable. Default: all.")
    var only: [Group] = []
    @Option(help: "With scenarios or robustness: only this scenario (01 or scenario-01-single-server); repeatable.")
    var scenario: [String] = []

    func runs(_ group: Group) -> Bool { self.only.isEmpty || self.only.contains(group) }

    func execute() async throws {
        let paths = try LabPaths.discover()
        var timings: [(String, Double)] = []
        var failures: [String] = []
        func stage(_ name: String, _ body: () async throws -> Int32) async throws {
            printStep(name)
            let start = ContinuousClock.now
            let status = try await body()
            timings.append((name, (ContinuousClock.now - start).seconds))
            if status != 0 { failures.append("\(name) (exit \(status))") }
        }
        func stage(_ name: String, _ arguments: [String], in directory: URL? = nil, environment: [String: String]? = nil) async throws {
            try await stage(name) { try await Shell.run(arguments, in: directory, environment: environment) }
        }
        let scratch = ["--scratch-path", paths.scratch.path]
        let swiftFolders =
            ["Shared/Sources", "Shared/Tests"]
            + paths.scenarioFolders().flatMap { ["\($0.lastPathComponent)/Sources", "\($0.lastPathComponent)/Tests"] }
        if self.runs(.format) {
            try await stage("swift format lint", ["swift", "format", "lint", "--strict", "-r"] + swiftFolders, in: paths.root)
        }
        let shared = paths.root.appendingPathComponent("Shared").path
        if self.runs(.shared) {
            try await stage(
                "build Shared + tests (release)",
                ["swift", "build", "-c", "release", "--package-path", shared, "--build-tests"] + scratch,
                environment: SwiftBuild.environment
            )
            SwiftBuild(paths: paths).forgetLastScenario()
        }
        // Started once, here, before anything needs it: the service tests' suites run in parallel and would
        // otherwise race to create it on a fresh machine.
        let databaseStart = ContinuousClock.now
        try await LabDatabase(paths: paths).startServer()
        timings.append(("start PostgreSQL", (ContinuousClock.now - databaseStart).seconds))
        if self.runs(.shared), !failures.contains(where: { $0.hasPrefix("build Shared") }) {
            // The service tests on their own: a replica copies the whole cluster and Redis servers come and go,
            // which would starve the load-tool tests running beside them (suites run in parallel).
            try await stage(
                "Shared unit tests",
                ["swift", "test", "-c", "release", "--package-path", shared, "--skip-build", "--skip", "ServiceTests"] + scratch
            )
            try await stage(
                "Shared service tests (real PostgreSQL, replica, Redis)",
                ["swift", "test", "-c", "release", "--package-path", shared, "--skip-build", "--filter", "ServiceTests"] + scratch
            )
        }
        let chosen = try self.scenario.map { try Scenario.find($0, in: paths).folderName }
        for folder in paths.scenarioFolders() where chosen.isEmpty || chosen.contains(folder.lastPathComponent) {
            let name = folder.lastPathComponent
            guard self.runs(.scenarios) || self.runs(.robustness) else { break }
            try SwiftBuild(paths: paths).prepareScratch(for: try Scenario(folder: folder))
            let failedBefore = failures.count
            try await stage(
                "build \(name) + tests (release)",
                ["swift", "build", "-c", "release", "--package-path", folder.path, "--build-tests"] + scratch,
                environment: SwiftBuild.environment
            )
            // Nothing to run when the build failed: its error is the one to read.
            guard failures.count == failedBefore else { continue }
            if self.runs(.scenarios) {
                try await stage("\(name) tests", ["swift", "test", "-c", "release", "--package-path", folder.path, "--skip-build"] + scratch)
            }
            if self.runs(.robustness) {
                try await stage("\(name): faults under load and bad input, server and server-fixed") {
                    try await ServerRobustness.check(try Scenario(folder: folder), paths: paths) { say($0) } ? 0 : 1
                }
            }
        }
        if self.runs(.panel) {
            try await stage("exercise panel in a real browser (chromium): scenario 01 from NOT YET to PASS") {
                let script = paths.root.appendingPathComponent("Shared/Tests/Browser/panel_browser_test.py").path
                let screenshots = paths.state.appendingPathComponent("browser-test/screenshots").path
                return try await Shell.run([BrowserTest.python(), script, paths.root.path, screenshots], in: paths.root)
            }
        }
        if self.runs(.docs) {
            try await stage(
                "documented commands (README.md, SCENARIO.md)",
                [paths.scratch.appendingPathComponent("release/lab").path, "docs-check"],
                in: paths.root
            )
        }
        if self.runs(.postStart) {
            try await stage("devcontainer post-start script, twice, against the runner's PostgreSQL") {
                try await PostStartCheck(paths: paths).run()
            }
        }
        if self.runs(.watch) {
            try await stage("watch mode outlives its server (killed; exiting at start-up)") {
                try await WatchModeCheck(paths: paths).run()
            }
        }
        say("\nStage times:")
        for (name, seconds) in timings { say("  \(String(format: "%7.1f", seconds)) s  \(name)") }
        if !failures.isEmpty {
            throw LabError("failed: \(failures.joined(separator: ", "))")
        }
        say("\nAll test stages passed.")
    }
}

/// Which Python runs the browser test: Debian's, where `python3-selenium` lives (a `python3` earlier on PATH,
/// pyenv's say, has no Selenium unless it was installed there).
enum BrowserTest {
    static func python() -> String {
        for candidate in ["/usr/bin/python3", Shell.which("python3")].compactMap({ $0 }) {
            let probe = Process()
            probe.executableURL = URL(fileURLWithPath: candidate)
            probe.arguments = ["-c", "import selenium"]
            probe.standardOutput = FileHandle.nullDevice
            probe.standardError = FileHandle.nullDevice
            if (try? probe.run()) != nil {
                probe.waitUntilExit()
                if probe.terminationStatus == 0 { return candidate }
            }
        }
        return "python3"
    }
}
