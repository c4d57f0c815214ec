import Foundation
import LabKit

/// What the reveal shows for a scenario: each source file of `server` beside its `server-fixed` version, the
/// database fix, and each configuration file beside the reference's.
public struct ReferenceSolution: Sendable {
    public struct File: Sendable {
        public var title: String
        /// Where the reference's version is, for "open in your editor".
        public var path: String
        public var rows: [SideBySideDiff.Row]
    }

    public var files: [File]

    public init(scenario: Scenario) {
        var files: [File] = []
        let root = scenario.folder.deletingLastPathComponent()
        func relative(_ url: URL) -> String { String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count + 1)) }
        func lines(_ url: URL) -> [String]? {
            (try? String(contentsOf: url, encoding: .utf8)).map { $0.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }
        }
        let naive = scenario.folder.appendingPathComponent("Sources/server")
        let fixed = scenario.folder.appendingPathComponent("Sources/server-fixed")
        let names = Set(Self.swiftFiles(in: naive) + Self.swiftFiles(in: fixed)).sorted()
        for name in names {
            let old = lines(naive.appendingPathComponent(name)) ?? []
            let new = lines(fixed.appendingPathComponent(name)) ?? []
            let title = old.isEmpty ? "\(name) (new in the reference)" : (new.isEmpty ? "\(name) (gone in the reference)" : name)
            files.append(File(title: title, path: relative(fixed.appendingPathComponent(name)), rows: SideBySideDiff.rows(old: old, new: new)))
        }
        if let fix = scenario.manifest.fix, let new = lines(scenario.file(fix)) {
            files.append(File(title: "\(fix): the database fix", path: relative(scenario.file(fix)), rows: SideBySideDiff.rows(old: [], new: new)))
        }
        for (file, reference) in (scenario.manifest.fixedConfigs ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let new = lines(scenario.file(reference)) else { continue }
            // The learner's file as it is now (what their server runs), against the reference's.
            let old = lines(scenario.file(file)) ?? []
            files.append(
                File(
                    title: "\(file) (yours) and \(reference) (the reference)",
                    path: relative(scenario.file(reference)),
                    rows: SideBySideDiff.rows(old: old, new: new)
                )
            )
        }
        self.files = files
    }

    /// The `.swift` files of a target folder, relative to it, sorted.
    static func swiftFiles(in folder: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        var names: [String] = []
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            names.append(String(url.standardizedFileURL.path.dropFirst(folder.standardizedFileURL.path.count + 1)))
        }
        return names.sorted()
    }
}
