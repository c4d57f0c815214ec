import Foundation
import LabKit

/// Runs one check or load at a time, as child processes of the panel running the `lab` tool itself: the same
/// engine, output and progress records as in a terminal. A second request while one runs is refused with
/// ``RunInProgress`` (two loads at once would each measure the other).
public actor RunCoordinator {
    private let configuration: PanelConfiguration
    private var runs: [Int: PanelRun] = [:]
    private var nextID = 1
    private var running: Int?

    public init(configuration: PanelConfiguration) {
        self.configuration = configuration
    }

    public struct RunInProgress: Error {
        public var run: PanelRun
    }

    /// Starts `kind` for `scenario`, or throws ``RunInProgress``.
    public func start(_ kind: PanelRun.Kind, scenario: Scenario) throws -> PanelRun {
        if let id = self.running, let run = self.runs[id], !run.finished { throw RunInProgress(run: run) }
        let folder = self.configuration.runsFolder
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let id = self.nextID
        self.nextID += 1
        var run = PanelRun(
            id: id,
            kind: kind,
            scenario: scenario,
            started: Date(),
            output: folder.appendingPathComponent("run-\(id).log"),
            verdict: folder.appendingPathComponent("run-\(id).json")
        )
        for file in [run.output, run.verdict] { try? FileManager.default.removeItem(at: file) }
        var environment = ProcessInfo.processInfo.environment
        environment["NO_COLOR"] = "1"
        environment[FrontEnd.variable] = "panel"
        let child = try ChildProcess.spawn(
            [self.configuration.labExecutable] + run.arguments,
            in: self.configuration.paths.root,
            environment: environment,
            output: .file(run.output.path)
        )
        // Older runs' files go: the panel shows the last run of each scenario only.
        for (oldID, old) in self.runs where old.finished && oldID < id - 20 {
            for file in [old.output, old.verdict] { try? FileManager.default.removeItem(at: file) }
            self.runs[oldID] = nil
        }
        run.exitStatus = nil
        self.runs[id] = run
        self.running = id
        Task { [weak self] in
            let status = await child.exitStatus()
            await self?.finish(id, status: status)
        }
        return run
    }

    private func finish(_ id: Int, status: Int32) {
        self.runs[id]?.exitStatus = status
        if self.running == id { self.running = nil }
    }

    public func run(_ id: Int) -> PanelRun? { self.runs[id] }

    /// The run in progress, if any.
    public func current() -> PanelRun? { self.running.flatMap { self.runs[$0] } }

    /// The most recent run of `scenario` (running or finished).
    public func latest(for scenario: String) -> PanelRun? {
        self.runs.values.filter { $0.scenario.number == scenario }.max { $0.id < $1.id }
    }
}
