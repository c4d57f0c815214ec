import Foundation
import LabKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every command README.md and SCENARIO.md print, run exactly as written, in document order, from the
/// repository root, so the text cannot drift from the tools. Part of the serialized lesson suite: both use
/// port 8080 and the scenario database.
extension LessonTests {
    @Test("README.md: the run command brings scenario 01 up; the test command is what CI runs")
    func readmeCommands() async throws {
        let runner = try DocRunner()
        let commands = DocCommands.extract(fromMarkdown: try runner.read("README.md"))
        #expect(commands.contains("./lab up scenario-01-single-server"))
        #expect(commands.contains("./lab test"))
        let ci = try runner.read(".ci/run")
        #expect(ci.contains("./lab test"), ".ci/run must call the README's test command")
        // `./lab test` is the command CI itself runs (it would run this test again); every other command runs here.
        try await runner.run(commands.filter { $0 != "./lab test" })
    }

    @Test("SCENARIO.md: every command runs as written")
    func scenarioCommands() async throws {
        let runner = try DocRunner()
        let commands = DocCommands.extract(fromMarkdown: try runner.read("scenario-01-single-server/SCENARIO.md"))
        #expect(commands.count >= 10)
        try await runner.run(commands)
        // Leave the database as a learner starts it (the document may have added the index).
        _ = try await runner.shell("./lab reset 01", timeout: 300)
    }
}

/// Runs document commands with bash from the repository root, the way a learner types them.
struct DocRunner {
    let root: URL
    let log: URL

    init() throws {
        self.root = try LabPaths.discover(from: URL(fileURLWithPath: #filePath)).root
        self.log = self.root.appendingPathComponent(".lab/docs-commands.log")
        try FileManager.default.createDirectory(at: self.log.deletingLastPathComponent(), withIntermediateDirectories: true)
    }

    func read(_ path: String) throws -> String {
        try String(contentsOf: self.root.appendingPathComponent(path), encoding: .utf8)
    }

    func run(_ commands: [String]) async throws {
        var foreground: ChildProcess?
        defer { if let foreground { Self.interrupt(foreground) } }
        for command in commands {
            if DocCommands.isLongRunning(command) {
                if let running = foreground { Self.interrupt(running) }
                foreground = try self.startLongRunning(command)
                continue
            }
            if command.hasPrefix("./lab start"), let running = foreground {
                // The document tells the learner to stop the watch server (Ctrl-C) before starting another.
                Self.interrupt(running)
                foreground = nil
            }
            let status = try await self.shell(command, timeout: 900)
            let accepted: Set<Int32> = DocCommands.exitStatusIsVerdict(command) ? [0, 1] : [0]
            #expect(accepted.contains(status), "`\(command)` exited with \(status); see \(self.log.path)")
        }
        if let running = foreground { Self.interrupt(running) }
        foreground = nil
        _ = try await self.shell("./lab stop 01", timeout: 60)
    }

    /// Runs one command with bash; its output is appended to the log. Returns the exit status.
    func shell(_ command: String, timeout: Double) async throws -> Int32 {
        try "\n$ \(command)\n".appendLine(to: self.log)
        let child = try ChildProcess.spawn(["bash", "-c", command], in: self.root, output: .file(self.log.path))
        let deadline = ContinuousClock.now + .seconds(timeout)
        while ContinuousClock.now < deadline {
            if let status = child.exitStatusIfExited() { return status }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(child.pid, SIGKILL)
        Issue.record("`\(command)` did not finish within \(Int(timeout)) s")
        return -1
    }

    /// Starts `./lab up ...` like a learner's terminal 1 and waits until the server answers.
    func startLongRunning(_ command: String) throws -> ChildProcess {
        try "\n$ \(command)   (kept running)\n".appendLine(to: self.log)
        let child = try ChildProcess.spawn(["bash", "-c", command], in: self.root, output: .file(self.log.path), newSession: true)
        let deadline = Date().addingTimeInterval(900)
        while Date() < deadline {
            if ServerProcess.healthStatus(port: 8080) == 200 { return child }
            if let status = child.exitStatusIfExited() {
                throw DocCommandFailed(message: "`\(command)` exited with \(status) before the server answered; see \(self.log.path)")
            }
            usleep(200_000)
        }
        Self.interrupt(child)
        throw DocCommandFailed(message: "`\(command)`: no server on :8080 after 15 minutes")
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
}

struct DocCommandFailed: Error, CustomStringConvertible {
    var message: String
    var description: String { self.message }
}

extension String {
    func appendLine(to file: URL) throws {
        if !FileManager.default.fileExists(atPath: file.path) {
            _ = FileManager.default.createFile(atPath: file.path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: file)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(self.utf8))
    }
}
