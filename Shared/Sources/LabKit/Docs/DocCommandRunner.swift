import Foundation
import LoadTestKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs the commands a document prints (``DocCommands``), exactly as written, in document order, from the
/// repository root, the way a learner types them: `./lab test` runs it for README.md and every SCENARIO.md,
/// so the text cannot drift from the tools.
///
/// It runs outside `swift test` on purpose: the documented commands build with SwiftPM, and `swift test`
/// holds the build folder's lock for its whole run.
public struct DocCommandRunner {
    public let paths: LabPaths
    /// Every command's output, for reading after a failure.
    public let log: URL

    /// The environment the commands run with: this process's, with a scratch progress file, so the documented
    /// `./lab check` and `./lab hint` runs never count as the learner's own checks and hints.
    let environment: [String: String]

    public init(paths: LabPaths) throws {
        self.paths = paths
        self.log = paths.state.appendingPathComponent("docs-commands.log")
        try FileManager.default.createDirectory(at: paths.state, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: self.log)
        _ = FileManager.default.createFile(atPath: self.log.path, contents: nil)
        let progress = paths.state.appendingPathComponent("docs-check-progress.json")
        try? FileManager.default.removeItem(at: progress)
        var environment = ProcessInfo.processInfo.environment
        environment[ProgressStore.fileVariable] = progress.path
        // Every load of the guides, 20 s each, was most of this stage's time; 5 s gives a whole report.
        environment[LoadPlan.docsMaxSecondsVariable] = "5"
        self.environment = environment
    }

    /// A command that did not do what the document promises.
    public struct Failure: Sendable, CustomStringConvertible {
        public var document: String
        public var command: String
        public var problem: String
        public var description: String { "\(self.document): `\(self.command)` \(self.problem)" }

        public init(document: String, command: String, problem: String) {
            self.document = document
            self.command = command
            self.problem = problem
        }
    }

    /// Runs every command of `document` (a path relative to the root); returns the commands run and the failures.
    /// - Parameter skip: commands not to run here (the README's `./lab test`, which is the run itself).
    public func run(document: String, skip: Set<String> = []) async throws -> (ran: Int, failures: [Failure]) {
        let markdown = try String(contentsOf: self.paths.root.appendingPathComponent(document), encoding: .utf8)
        let commands = DocCommands.extract(fromMarkdown: markdown).filter { !skip.contains($0) }
        var failures: [Failure] = []
        var foreground: ChildProcess?
        for command in commands {
            say("  $ \(command)")
            if DocCommands.isLongRunning(command) {
                if let running = foreground { Self.interrupt(running) }
                do {
                    foreground = try await self.startLongRunning(command)
                } catch {
                    failures.append(Failure(document: document, command: command, problem: "\(error)"))
                }
                continue
            }
            if DocCommands.program(command).hasPrefix("./lab start"), let running = foreground {
                // The document tells the learner to stop the watch server (Ctrl-C) before starting another.
                Self.interrupt(running)
                foreground = nil
            }
            let (status, output) = try await self.run(command, timeout: .seconds(900))
            let accepted: Set<Int32> = DocCommands.exitStatusIsVerdict(command) ? [0, 1] : [0]
            if !accepted.contains(status) {
                failures.append(Failure(document: document, command: command, problem: "exited with \(status) (output in \(self.log.path))"))
            } else if let missing = DocCommands.expectedOutput(command).first(where: { !output.contains($0) }) {
                failures.append(Failure(document: document, command: command, problem: "printed no \"\(missing)\" (output in \(self.log.path))"))
            }
        }
        if let running = foreground { Self.interrupt(running) }
        return (commands.count, failures)
    }

    /// Runs one command with bash from the root; its output is appended to the log. Returns the exit status.
    public func shell(_ command: String, timeout: Duration) async throws -> Int32 {
        try await self.run(command, timeout: timeout).status
    }

    /// Runs one command with bash from the root; returns its exit status and output (also appended to the log).
    func run(_ command: String, timeout: Duration) async throws -> (status: Int32, output: String) {
        try self.appendToLog("\n$ \(command)\n")
        let outputFile = self.paths.state.appendingPathComponent("docs-command.out")
        try? FileManager.default.removeItem(at: outputFile)
        let child = try ChildProcess.spawn(
            ["bash", "-c", command],
            in: self.paths.root,
            environment: self.environment,
            output: .file(outputFile.path)
        )
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = -1
        while ContinuousClock.now < deadline {
            if let exited = child.exitStatusIfExited() {
                status = exited
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        if status == -1 {
            kill(child.pid, SIGKILL)
            _ = child.wait()
        }
        let output = (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
        try self.appendToLog(output)
        return (status, output)
    }

    /// Starts a command that keeps running (`./lab up 01`, a learner's terminal 1) and waits until a server
    /// answers on one of the scenarios' ports.
    func startLongRunning(_ command: String) async throws -> ChildProcess {
        try self.appendToLog("\n$ \(command)   (kept running, like terminal 1)\n")
        let ports = try self.paths.scenarioFolders().map { try Scenario(folder: $0).manifest.port }
        let child = try ChildProcess.spawn(
            ["bash", "-c", command],
            in: self.paths.root,
            environment: self.environment,
            output: .file(self.log.path),
            newSession: true
        )
        let deadline = ContinuousClock.now + .seconds(900)
        while ContinuousClock.now < deadline {
            if ports.contains(where: { ServerProcess.healthStatus(port: $0) == 200 }) { return child }
            if let status = child.exitStatusIfExited() {
                throw LabError("exited with \(status) before its server answered (output in \(self.log.path))")
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        Self.interrupt(child)
        throw LabError("started no server within 15 minutes")
    }

    /// Ctrl-C, as in a terminal: SIGINT to the whole process group, then wait for it to exit.
    static func interrupt(_ child: ChildProcess) {
        kill(-child.pid, SIGINT)
        for _ in 0..<300 {
            if child.exitStatusIfExited() != nil { return }
            usleep(100_000)
        }
        kill(-child.pid, SIGKILL)
        _ = child.wait()
    }

    private func appendToLog(_ text: String) throws {
        let handle = try FileHandle(forWritingTo: self.log)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }
}
