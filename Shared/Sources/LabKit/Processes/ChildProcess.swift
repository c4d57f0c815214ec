import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A program started with `posix_spawn`, and waited for with `waitpid`.
///
/// Foundation's `Process` missed the exit of `runuser` when it left a daemon (PostgreSQL) behind, and hung in
/// `waitUntilExit`; plain POSIX calls have no such surprises and let a child start in its own session.
public struct ChildProcess: Sendable {
    public let pid: pid_t

    /// Where the child's stdout and stderr go.
    public enum Output: Sendable {
        case inherit
        case file(String)
    }

    /// Starts `arguments[0]` (looked up on PATH) with `arguments`.
    /// - Parameters:
    ///   - environment: the full environment (default: this process's).
    ///   - output: the terminal, or a file both streams are appended to.
    ///   - newSession: start in a new session (`setsid`), so it outlives this command and the terminal's Ctrl-C.
    public static func spawn(
        _ arguments: [String],
        in directory: URL? = nil,
        environment: [String: String]? = nil,
        output: Output = .inherit,
        newSession: Bool = false
    ) throws -> ChildProcess {
        precondition(!arguments.isEmpty)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        if case .file(let path) = output {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        // Children start with default signal handling and no blocked signals, whatever this process installed
        // or blocked (a test runner or SwiftNIO may block SIGTERM; a child inheriting that mask would ignore
        // `./lab stop` until it is killed).
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        posix_spawnattr_setsigmask(&attributes, &unblocked)
        var flags = Int32(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)
        // POSIX_SPAWN_SETSID (glibc ≥ 2.26) is hidden behind _GNU_SOURCE in the C headers Swift imports.
        if newSession { flags |= 0x80 }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let environment = environment ?? ProcessInfo.processInfo.environment
        // `env -C DIR` changes directory in the child (posix_spawn's chdir action is not in Swift's headers).
        let arguments = directory.map { ["env", "-C", $0.path] + arguments } ?? arguments
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw LabError("could not start \(arguments[0]): \(String(cString: strerror(result)))")
        }
        return ChildProcess(pid: pid)
    }

    /// Blocks until the child exits; returns its exit status (128 + signal if it was killed).
    public func wait() -> Int32 {
        var status: Int32 = 0
        while waitpid(self.pid, &status, 0) == -1 {
            if errno != EINTR { return -1 }
        }
        return Self.exitCode(status)
    }

    /// ``wait()`` for async code: the blocking `waitpid` runs on a thread of its own (``onThreadOfItsOwn(_:)``).
    public func exitStatus() async -> Int32 {
        await onThreadOfItsOwn { self.wait() }
    }

    /// The exit status if the child has exited (reaping it), nil while it runs.
    public func exitStatusIfExited() -> Int32? {
        var status: Int32 = 0
        let result = waitpid(self.pid, &status, WNOHANG)
        if result == self.pid { return Self.exitCode(status) }
        if result == -1 && errno == ECHILD { return -1 }  // not our child (or already reaped)
        return nil
    }

    static func exitCode(_ status: Int32) -> Int32 {
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
