import Foundation

/// Puts back what a learner edits in one scenario to what git has (the naive setup as shipped), for
/// `./lab reset`: its `Sources/`, and the configuration files of its services (`nginx.conf`, `redis.conf`). Nothing else is touched: not the other scenarios, not the
/// learner's other changes.
public struct SourceReset: Sendable {
    public let root: URL
    public let scenario: Scenario

    public init(paths: LabPaths, scenario: Scenario) {
        self.root = paths.root
        self.scenario = scenario
    }

    /// The paths reset, relative to the repository root (`scenario-04-horizontal/Sources`,
    /// `scenario-04-horizontal/nginx.conf`).
    public var learnerPaths: [String] {
        let configs = (try? ScenarioServices(scenario: self.scenario, paths: LabPaths(root: self.root)).learnerFiles) ?? []
        return (["Sources"] + configs).map { "\(self.scenario.folderName)/\($0)" }
    }

    /// How ``learnerPaths`` read in a sentence: `scenario-04-horizontal/Sources and nginx.conf`.
    public var description: String {
        let names = self.learnerPaths.enumerated().map { index, path in index == 0 ? path : String(path.split(separator: "/").last ?? "") }
        return names.count == 1 ? names[0] : names.dropLast().joined(separator: ", ") + " and " + names.last!
    }

    /// The files that differ from git's last commit: changed, added or deleted, as git prints them
    /// (` M scenario-01-single-server/Sources/server/App+build.swift`).
    public func changes() throws -> [String] {
        let output = try Shell.capture(["git", "-C", self.root.path, "status", "--porcelain", "--untracked-files=all", "--"] + self.learnerPaths)
        guard output.status == 0 else {
            throw LabError("git cannot read \(self.root.path) (is this a git clone?): \(output.text.prefix(300))")
        }
        return output.text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// Restores tracked files from the last commit and removes files git does not know, under those paths only.
    public func restore() throws {
        for arguments in [["checkout", "HEAD", "--"] + self.learnerPaths, ["clean", "-fdq", "--"] + self.learnerPaths] {
            let output = try Shell.capture(["git", "-C", self.root.path] + arguments)
            guard output.status == 0 else { throw LabError("git \(arguments.joined(separator: " ")) failed: \(output.text.prefix(300))") }
        }
    }
}
