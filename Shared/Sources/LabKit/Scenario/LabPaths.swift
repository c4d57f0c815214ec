import Foundation

/// Where the lab keeps things: the repository root, the shared build folder, and the runner's private
/// state folder `.lab/` (PostgreSQL data, logs, pid files; ignored by git).
public struct LabPaths: Sendable, Equatable {
    public var root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    /// Finds the repository root by walking up from `start` to the folder that holds `Shared/Package.swift`.
    public static func discover(from start: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws -> LabPaths {
        var folder = start.standardizedFileURL
        while true {
            if FileManager.default.fileExists(atPath: folder.appendingPathComponent("Shared/Package.swift").path) {
                return LabPaths(root: folder)
            }
            let parent = folder.deletingLastPathComponent()
            if parent.path == folder.path {
                throw LabError("could not find the lab repository (a folder with Shared/Package.swift) above \(start.path)")
            }
            folder = parent
        }
    }

    /// Every package builds into this one folder, so the dependencies compile once for all scenarios.
    /// `LAB_BUILD_PATH` moves it out of the repository: the Codespaces image compiles the dependencies
    /// into /opt/lab-build at image build time, outside the workspace folder that is mounted over it.
    public var scratch: URL {
        if let custom = ProcessInfo.processInfo.environment["LAB_BUILD_PATH"], !custom.isEmpty {
            return URL(fileURLWithPath: custom).standardizedFileURL
        }
        return self.root.appendingPathComponent(".build-lab")
    }
    public var state: URL { self.root.appendingPathComponent(".lab") }
    public var postgres: URL { self.state.appendingPathComponent("postgres") }
    public var postgresData: URL { self.postgres.appendingPathComponent("data") }
    public var postgresSocket: URL { self.postgres.appendingPathComponent("run") }
    public var postgresLog: URL { self.postgres.appendingPathComponent("postgres.log") }

    /// Per-scenario runtime files: `server.pid`, `server.log`, the copied server binaries.
    public func runtime(for scenario: Scenario) -> URL {
        self.state.appendingPathComponent(scenario.folderName)
    }

    /// The scenario folders (`scenario-NN-name`) at the root, sorted.
    public func scenarioFolders() -> [URL] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.root.path)) ?? []
        return names.filter { $0.hasPrefix("scenario-") }.sorted().map { self.root.appendingPathComponent($0) }
            .filter { FileManager.default.fileExists(atPath: $0.appendingPathComponent("lab.json").path) }
    }
}

/// An error of the lab tooling, with a message a learner can act on.
public struct LabError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) {
        self.description = description
    }
}
