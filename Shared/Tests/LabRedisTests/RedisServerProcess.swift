import Foundation
import LabRedis

#if canImport(Glibc)
import Glibc
#endif

/// A private `redis-server` for one integration test suite: its own free port and temporary folder, no
/// persistence, stopped at the end.
///
/// The one place the tests start Redis; it will give way to the lab's `redis` service kind. Suites that use
/// it say "needs Redis" in their names.
final class RedisServerProcess: @unchecked Sendable {
    let port: Int
    let folder: URL
    let extraArguments: [String]
    private var process: Process?

    /// Starts Redis with `extraArguments` added to the command line (`--requirepass`, ...).
    /// - Throws: when redis-server is not installed (naming the package to install) or does not start.
    init(extraArguments: [String] = []) throws {
        guard let executable = Self.executable else {
            throw RedisTestError("redis-server is not installed: sudo apt-get install redis-server (the integration tests start their own)")
        }
        self.extraArguments = extraArguments
        self.folder = FileManager.default.temporaryDirectory.appendingPathComponent("labredis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        // A free port can be taken by someone else between finding and binding it: try a few.
        var attempt = 0
        while true {
            attempt += 1
            let port = try Self.freePort()
            do {
                self.process = try Self.launch(executable, port: port, folder: self.folder, extra: extraArguments)
                self.port = port
                return
            } catch  where attempt < 5 {
                continue
            }
        }
    }

    var configuration: RedisConfiguration {
        RedisConfiguration(host: "127.0.0.1", port: self.port)
    }

    /// SIGKILL, as a crash would: no goodbye to clients.
    func kill() {
        guard let process = self.process else { return }
        Self.end(process, signal: SIGKILL)
        self.process = nil
    }

    /// Starts it again on the same port (after ``kill()``).
    func restart() throws {
        guard let executable = Self.executable else { return }
        self.process = try Self.launch(executable, port: self.port, folder: self.folder, extra: self.extraArguments)
    }

    func stop() {
        // SIGKILL: nothing is persisted (`--save ""`), and the folder goes with it.
        self.kill()
        try? FileManager.default.removeItem(at: self.folder)
    }

    deinit {
        self.stop()
    }

    /// Sends `signal` and waits until the process is gone, polling `isRunning`: Foundation's
    /// `waitUntilExit()` can spin for ever on Linux.
    private static func end(_ process: Process, signal: Int32) {
        Glibc.kill(process.processIdentifier, signal)
        while process.isRunning { usleep(5_000) }
    }

    static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return (path.split(separator: ":").map { "\($0)/redis-server" } + ["/usr/bin/redis-server", "/usr/local/bin/redis-server"])
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func launch(_ executable: String, port: Int, folder: URL, extra: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder.path,
                "--logfile", folder.appendingPathComponent("redis.log").path, "--daemonize", "no",
            ] + extra
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Ready when it accepts a connection (10 s at most: a loaded CI machine is slow, not broken).
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if !process.isRunning { break }
            if Self.accepts(port: port) { return process }
            usleep(20_000)
        }
        Self.end(process, signal: SIGKILL)
        let log = (try? String(contentsOf: folder.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
        throw RedisTestError("redis-server on port \(port) did not start:\n\(log.suffix(2000))")
    }

    /// A port nothing listens on right now (the kernel picks one for a socket bound to port 0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw RedisTestError("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}

struct RedisTestError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
