import Foundation

/// Builds a scenario's server with SwiftPM, in release mode, into the shared build folder.
///
/// Release because debug builds of SwiftNIO are several times slower at run time, and a load test would
/// measure the build mode instead of the lesson. One scratch path for every package so the dependencies
/// (Hummingbird, postgres-nio, two copies of BoringSSL...) compile once for the whole lab.
public struct SwiftBuild: Sendable {
    public let paths: LabPaths

    public init(paths: LabPaths) {
        self.paths = paths
    }

    public func arguments(for scenario: Scenario, product: String? = nil) -> [String] {
        var arguments = [
            "swift", "build", "-c", "release", "--package-path", scenario.folder.path, "--scratch-path", self.paths.scratch.path,
        ]
        if let product { arguments += ["--product", product] }
        return arguments
    }

    /// The environment of every `swift build` in the shared build folder: this process's, plus
    /// `SWIFT_DETERMINISTIC_HASHING=1`.
    ///
    /// Why: SwiftPM writes a package's enabled traits as `-D` flags in the order of a `Set`, and a `Set`'s order
    /// changes from one process to the next (Swift seeds its hashing at random). Hummingbird has two traits, so
    /// each time SwiftPM plans again (when the folder switches scenario: ``prepareScratch(for:)``) the flags came
    /// out in either order, half the time unlike the last plan, and HummingbirdCore and Hummingbird compiled
    /// again: 30 to 45 s for nothing, nine times in one run of the documented commands. Seeded hashing makes the
    /// order the same in every plan. Only the compiler's environment: servers keep random seeds (hash flooding).
    public static var environment: [String: String] {
        ProcessInfo.processInfo.environment.merging(["SWIFT_DETERMINISTIC_HASHING": "1"]) { _, new in new }
    }

    /// Names the scenario whose build plan the shared build folder holds (``prepareScratch(for:)``).
    private var lastScenarioMarker: URL { self.paths.scratch.appendingPathComponent("lab-last-scenario") }

    /// After a build of the Shared package in the shared build folder: SwiftPM's cached plan is Shared's now, so
    /// the next scenario build must plan again (otherwise: "No target named 'server-fixed-...' in build description").
    /// The `lab` script does the same after rebuilding the tool.
    public func forgetLastScenario() {
        try? FileManager.default.removeItem(at: self.lastScenarioMarker)
    }

    /// Makes the shared build folder safe for `scenario`. Every scenario names its targets alike (`server`,
    /// `server-fixed`, `LessonTests`), and SwiftPM keeps build products by target name: after building
    /// scenario 01, a build of scenario 02's `server` can find 01's files and decide there is nothing to do
    /// (seen: 02's database served by 01's binary). So when the scenario changes, SwiftPM's cached build plan
    /// and the scenario targets' products are removed first; they rebuild in seconds, the dependencies stay.
    public func prepareScratch(for scenario: Scenario) throws {
        let marker = self.lastScenarioMarker
        if (try? String(contentsOf: marker, encoding: .utf8)) == scenario.folderName { return }
        let fm = FileManager.default
        let release = self.paths.scratch.appendingPathComponent("release")
        let targets = ["Sources", "Tests"].flatMap { folder in
            (try? fm.contentsOfDirectory(atPath: scenario.folder.appendingPathComponent(folder).path)) ?? []
        }
        // SwiftPM may also reuse its cached build plan of the other scenario: make it plan again.
        var plans = [self.paths.scratch.appendingPathComponent("release.yaml"), release.appendingPathComponent("description.json")]
        plans.removeAll { !fm.fileExists(atPath: $0.path) }
        for plan in plans { try fm.removeItem(at: plan) }
        for target in targets {
            let module = target.replacingOccurrences(of: "-", with: "_")
            var doomed = [target, "\(target).build", "\(module).build", "\(target).product"].map { release.appendingPathComponent($0) }
            let modules = release.appendingPathComponent("Modules")
            for name in (try? fm.contentsOfDirectory(atPath: modules.path)) ?? [] where name.hasPrefix(module + ".") {
                doomed.append(modules.appendingPathComponent(name))
            }
            for url in doomed where fm.fileExists(atPath: url.path) { try fm.removeItem(at: url) }
        }
        try fm.createDirectory(at: self.paths.scratch, withIntermediateDirectories: true)
        try scenario.folderName.write(to: marker, atomically: true, encoding: .utf8)
    }

    /// Builds `product` and copies the binary into the scenario's runtime folder, so that two scenarios'
    /// `server` executables (same name, same build folder) never overwrite a running one.
    /// - Parameter streamOutput: show the compiler's progress (first builds take minutes).
    /// - Returns: the path of the copied binary.
    /// - Throws: ``BuildFailed`` with the compiler output.
    public func build(_ scenario: Scenario, product: String, streamOutput: Bool) async throws -> URL {
        try self.prepareScratch(for: scenario)
        let arguments = self.arguments(for: scenario, product: product)
        if streamOutput {
            // SwiftPM warns about a dependency's CMakeLists.txt files on every build: not the learner's concern.
            let filtered = ["bash", "-o", "pipefail", "-c", "\"$@\" 2>&1 | sed -u '\(Self.unhandledFilesWarning)'", "build"] + arguments
            guard try await Shell.run(filtered, environment: Self.environment) == 0 else { throw BuildFailed(output: "") }
        } else {
            let output = try await Shell.capture(arguments, environment: Self.environment)
            guard output.status == 0 else { throw BuildFailed(output: output.text) }
        }
        return try self.install(scenario, product: product)
    }

    /// A sed script that removes SwiftPM's "found 1 file(s) which are unhandled" warning and the file name
    /// on the line after it (`./lab` uses the same one when it builds itself).
    static let unhandledFilesWarning = "/which are unhandled; explicitly declare them/{N;d;}"

    /// Copies the last built `product` into the scenario's runtime folder and returns the copy's path.
    public func install(_ scenario: Scenario, product: String) throws -> URL {
        let built = self.paths.scratch.appendingPathComponent("release").appendingPathComponent(product)
        guard FileManager.default.isExecutableFile(atPath: built.path) else {
            throw LabError("\(product) is not built yet (\(built.path)); build it with ./lab build \(scenario.number)")
        }
        let bin = self.paths.runtime(for: scenario).appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let copy = bin.appendingPathComponent(product)
        let staging = bin.appendingPathComponent(".\(product).new")
        try? FileManager.default.removeItem(at: staging)
        try FileManager.default.copyItem(at: built, to: staging)
        // rename() replaces the file atomically: a server started from the old copy keeps running.
        guard rename(staging.path, copy.path) == 0 else { throw LabError("could not install \(copy.path)") }
        return copy
    }

    public struct BuildFailed: Error, CustomStringConvertible {
        public var output: String
        /// The compiler's error lines with the source lines under them, not the whole log.
        public var description: String {
            let lines = self.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var shown: [String] = []
            for (index, line) in lines.enumerated() where line.contains("error:") {
                shown += lines[index..<min(index + 4, lines.count)]
            }
            if shown.isEmpty { shown = Array(lines.suffix(30)) }
            return "build failed:\n" + shown.prefix(60).joined(separator: "\n")
        }
    }
}
