import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program the lab leaves running after the command returns: a scenario server (`./lab start`), a
/// detached watch loop (`./lab up --detach`, the Codespaces post-start step), Prometheus and the
/// PostgreSQL exporter.
///
/// It runs in its own session (Ctrl-C in the terminal does not reach it), writes its output to
/// `<name>.log` and its pid to `<name>.pid` in `folder`. The pid file also records the executable, and every
/// check compares it with `/proc/<pid>/cmdline`: after a reboot or a container restart the pid may belong
/// to another program, so a stale pid file is removed, never trusted.
public struct BackgroundProcess: Sendable {
    public let name: String
    public let folder: URL

    public init(name: String, folder: URL) {
        self.name = name
        self.folder = folder
    }

    public var pidFile: URL { self.folder.appendingPathComponent("\(self.name).pid") }
    public var logFile: URL { self.folder.appendingPathComponent("\(self.name).log") }

    /// What is running: its pid and the `tag` it was started with (e.g. which product), or nil.
    public func running() -> (pid: Int32, tag: String)? {
        guard let text = try? String(contentsOf: self.pidFile, encoding: .utf8) else { return nil }
        // "<pid>\t<tag>\t<executable>"
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\t", omittingEmptySubsequences: false)
        guard parts.count == 3, let pid = Int32(parts[0]) else {
            try? FileManager.default.removeItem(at: self.pidFile)
            return nil
        }
        let cmdline = (try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8)) ?? ""
        guard kill(pid, 0) == 0, cmdline.hasPrefix(String(parts[2])) else {
            try? FileManager.default.removeItem(at: self.pidFile)
            return nil
        }
        return (pid, String(parts[1]))
    }

    /// Starts `arguments` detached, with a fresh log file, and records its pid.
    /// - Parameters:
    ///   - directory: where it runs (default: the current directory).
    ///   - commandLine: how its command line starts once it runs, when the program rewrites it (nginx shows
    ///     `nginx: master process ...`); default: the executable's path.
    /// - Throws: ``LabError`` when one is already running.
    public func start(
        _ arguments: [String],
        environment: [String: String]? = nil,
        tag: String = "",
        in directory: URL? = nil,
        commandLine: String? = nil
    ) throws -> ChildProcess {
        if let (pid, _) = self.running() {
            throw LabError("\(self.name) is already running (pid \(pid))")
        }
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: self.logFile)
        let executable = arguments[0].hasPrefix("/") ? arguments[0] : (Shell.which(arguments[0]) ?? arguments[0])
        let child = try ChildProcess.spawn(
            [executable] + arguments.dropFirst(),
            in: directory,
            environment: environment,
            output: .file(self.logFile.path),
            newSession: true
        )
        try "\(child.pid)\t\(tag)\t\(commandLine ?? executable)\n".write(to: self.pidFile, atomically: true, encoding: .utf8)
        return child
    }

    /// Stops it gracefully (SIGTERM), forcefully after 15 s. Returns false when nothing was running.
    @discardableResult
    public func stop() async -> Bool {
        guard let (pid, _) = self.running() else { return false }
        await Self.terminate(pid: pid)
        try? FileManager.default.removeItem(at: self.pidFile)
        return true
    }

    /// Records the calling process itself under this name (a foreground `./lab up`), so that `./lab stop`
    /// and `./lab status` in another terminal can find it. Call ``forget()`` when it ends.
    public func recordCurrentProcess(tag: String) throws {
        let cmdline = (try? String(contentsOfFile: "/proc/self/cmdline", encoding: .utf8)) ?? ""
        let executable = cmdline.split(separator: "\0").first.map(String.init) ?? ""
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        try "\(getpid())\t\(tag)\t\(executable)\n".write(to: self.pidFile, atomically: true, encoding: .utf8)
    }

    /// Forgets a process that already exited (its pid file would otherwise wait for the next check).
    public func forget() {
        try? FileManager.default.removeItem(at: self.pidFile)
    }

    /// The last `lines` lines of the log, for error messages.
    public func logTail(lines: Int = 15) -> String {
        let log = (try? String(contentsOf: self.logFile, encoding: .utf8)) ?? ""
        return log.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }

    /// SIGTERM, wait up to 15 s, then SIGKILL and wait until it is gone (its port free again).
    ///
    /// The SIGKILL goes to the whole process group when the process leads one (a detached watch loop, or a
    /// `./lab up` in a terminal): a watch loop killed in the middle of a long rebuild would otherwise leave its
    /// server running on the port with no parent (seen in CI: `./lab stop 01` while watch mode rebuilt).
    public static func terminate(pid: Int32) async {
        _ = kill(pid, SIGTERM)
        if await Self.waitForExit(pid, tenths: 150) { return }
        _ = kill(getpgid(pid) == pid ? -pid : pid, SIGKILL)
        _ = await Self.waitForExit(pid, tenths: 50)
    }

    /// Polls every 0.1 s, `tenths` times, until `pid` no longer exists (reaping it if it is our child).
    private static func waitForExit(_ pid: Int32, tenths: Int) async -> Bool {
        for _ in 0..<tenths {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid || kill(pid, 0) != 0 { return true }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return false
    }
}
