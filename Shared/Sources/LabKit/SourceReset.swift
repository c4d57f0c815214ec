import Foundation

/// Puts one scenario's `Sources/` back to what git has (the naive server as shipped), for `./lab reset`.
/// Nothing outside that folder is touched: not the other scenarios, not the learner's other changes.
public struct SourceReset: Sendable {
    public let root: URL
    public let scenario: Scenario

    public init(paths: LabPaths, scenario: Scenario) {
        self.root = paths.root
        self.scenario = scenario
    }

    /// The folder, relative to the repository root (`scenario-01-single-server/Sources`).
    public var folder: String { "\(self.scenario.folderName)/Sources" }

    /// The files under the folder that differ from git's last commit: changed, added or deleted, as git
    /// prints them (` M scenario-01-single-server/Sources/server/App+build.swift`).
    public func changes() throws -> [String] {
        let output = try Shell.capture(["git", "-C", self.root.path, "status", "--porcelain", "--untracked-files=all", "--", self.folder])
        guard output.status == 0 else {
            throw LabError("git cannot read \(self.root.path) (is this a git clone?): \(output.text.prefix(300))")
        }
        return output.text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// Restores tracked files from the last commit and removes files git does not know, under the folder only.
    public func restore() throws {
        for arguments in [["checkout", "HEAD", "--", self.folder], ["clean", "-fdq", "--", self.folder]] {
            let output = try Shell.capture(["git", "-C", self.root.path] + arguments)
            guard output.status == 0 else { throw LabError("git \(arguments.joined(separator: " ")) failed: \(output.text.prefix(300))") }
        }
    }
}
