import Foundation
import LabKit

/// What watch mode is doing right now, kept in `.lab/<scenario>/watch-state` for `./lab status` and
/// `./lab up` in another terminal: a watch loop that is alive does not mean its server answers (it may be
/// rebuilding, or the learner's code may have crashed and be waiting for a fix).
struct WatchState {
    let file: URL

    init(scenario: Scenario, paths: LabPaths) {
        self.file = paths.runtime(for: scenario).appendingPathComponent("watch-state")
    }

    /// The state while the last save did not compile: the old build still answers.
    static let previousBuild = "serving the previous build (the last build failed)"

    /// Whether the server that answers is an older build than the code on disk (the last build failed).
    var servesPreviousBuild: Bool { self.read()?.hasPrefix(Self.previousBuild) ?? false }

    /// Records a state in words, e.g. "rebuilding server".
    func record(_ text: String) {
        try? (text + "\n").write(to: self.file, atomically: true, encoding: .utf8)
    }

    /// Records whether every instance serves, and if not, why.
    func record(_ children: [WatchMode.Running?], exited: (index: Int, status: Int32)? = nil, buildFailed: Bool = false) {
        let down = children.filter { $0 == nil }.count
        if down == 0 {
            self.record(buildFailed ? Self.previousBuild : "serving")
        } else if let exited {
            let what =
                children.count > 1
                ? "\(down) of \(children.count) instances are down (the last exited with status \(exited.status))"
                : "the server exited (status \(exited.status))"
            self.record("\(what); waiting for a fix (save a file to rebuild)")
        } else {
            let what = children.count > 1 ? "\(down) of \(children.count) instances did not start" : "the server did not start"
            self.record("\(what)\(buildFailed ? " and the last build failed" : ""); waiting for a fix (save a file to rebuild)")
        }
    }

    /// The recorded state, or nil when none is.
    func read() -> String? {
        (try? String(contentsOf: self.file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func clear() {
        try? FileManager.default.removeItem(at: self.file)
    }
}
