import Foundation
import LoadTestKit
import Synchronization

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
public final class DocCommandRunner: Sendable {
    public let paths: LabPaths
    /// Every command's output, for reading after a failure.
    public let log: URL
    /// Commands that failed once and did what the document says when run again (``run(document:skip:)``).
    let passedOnSecondTry = Mutex<[String]>([])
    public var commandsPassedOnSecondTry: [String] { self.passedOnSecondTry.withLock { $0 } }

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
        // Every load of the guides, 20 s each, was most of this stage's time; 2 s gives a whole report.
        environment[LoadPlan.docsMaxSecondsVariable] = "2"
        self.environment = environment
    }

    /// A command that did not do what the document promises.
    public struct Failure: Sendable, CustomStringConvertible {
        public var document: String
        public var command: String
        public var problem: String
        /// The last lines the command printed: a CI page shows the summary at the end of the stage, not the
        /// log file it names, and a failure that only happens on a slower machine cannot be rerun to see why.
        public var lastLines: [String]
        public var description: String {
            let head = "\(self.document): `\(self.command)` \(self.problem)"
            guard !self.lastLines.isEmpty else { return head }
            return ([head, "    its last lines:"] + self.lastLines.map { "    | \($0)" }).joined(separator: "\n")
        }

        public init(document: String, command: String, problem: String, output: String = "") {
            self.document = document
            self.command = command
            self.problem = problem
            self.lastLines = Array(output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).suffix(Self.lastLineCount))
            while self.lastLines.last?.isEmpty == true { self.lastLines.removeLast() }
        }

        static let lastLineCount = 25
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
                let replacing = foreground != nil
                if let running = foreground { Self.interrupt(running) }
                do {
                    foreground = try await self.startLongRunning(command, afterInterrupting: replacing)
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
            let started = ContinuousClock.now
            var (status, output) = try await self.run(command, timeout: .seconds(900))
            // Where this stage's time goes, for whoever has to keep CI under its hour.
            let took = (ContinuousClock.now - started).seconds
            if took >= 5 { say(String(format: "    (%.0f s)", took)) }
            if var failure = Self.failure(document: document, command: command, status: status, output: output, log: self.log) {
                // Once more, as a learner would, before it counts: a command that failed because the machine was
                // busy for a moment (CI's machines are slower than a Codespace) does what the document says the
                // second time. What the first try printed stays in the log and here, so a flaky command is seen.
                say("    ↻ \(failure.problem); its last lines:")
                for line in failure.lastLines { say("    | \(line)") }
                say("    ↻ running it once more")
                try await Task.sleep(for: .seconds(3))
                (status, output) = try await self.run(command, timeout: .seconds(900))
                if let again = Self.failure(document: document, command: command, status: status, output: output, log: self.log) {
                    failure = again
                    failure.problem += ", twice"
                    failures.append(failure)
                } else {
                    self.passedOnSecondTry.withLock { $0.append("\(document): `\(command)`") }
                }
            }
        }
        if let running = foreground { Self.interrupt(running) }
        return (commands.count, failures)
    }

    /// What is wrong with a command's run: an exit status it must not have, or a report missing its shape.
    static func failure(document: String, command: String, status: Int32, output: String, log: URL) -> Failure? {
        let accepted: Set<Int32> = DocCommands.exitStatusIsVerdict(command) ? [0, 1] : [0]
        if !accepted.contains(status) {
            return Failure(document: document, command: command, problem: "exited with \(status) (output in \(log.path))", output: output)
        }
        if let missing = DocCommands.expectedOutput(command).first(where: { !output.contains($0) }) {
            return Failure(document: document, command: command, problem: "printed no \"\(missing)\" (output in \(log.path))", output: output)
        }
        return nil
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
    /// - Parameter afterInterrupting: the previous terminal-1 command was just stopped (Ctrl-C). Its servers may take
    ///   a moment to go, and an answer from one of them must not pass for the new command's: on a slow machine 04's
    ///   guide once ran `./lab load 04` against nginx and instances that were still going away ("nothing answers on
    ///   http://127.0.0.1:8080/health"). So first wait (30 s at most) until none answers.
    func startLongRunning(_ command: String, afterInterrupting: Bool = false) async throws -> ChildProcess {
        try self.appendToLog("\n$ \(command)   (kept running, like terminal 1)\n")
        let ports = try self.paths.scenarioFolders().map { try Scenario(folder: $0).manifest.port }
        if afterInterrupting {
            let quietBy = ContinuousClock.now + .seconds(30)
            while ContinuousClock.now < quietBy, ports.contains(where: { ServerProcess.healthStatus(port: $0) == 200 }) {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
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

    /// Ctrl-C, as in a terminal: SIGINT to the whole process group, then wait for it to exit (2 minutes at most).
    ///
    /// Watch mode stops its instances and its load balancer on its way out, after a rebuild in progress ends. On a
    /// slow machine that took more than the 30 s this used to wait: the SIGKILL that followed left 04's nginx
    /// holding port 8080, and the guide's next `./lab up 04 --instances 3` refused to start (seen in a CI run here).
    static func interrupt(_ child: ChildProcess) {
        kill(-child.pid, SIGINT)
        for _ in 0..<1200 {
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
