import Foundation
import LabRedis
import LabTesting
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A private `redis-server` for one integration test: its own free port and temporary folder, no
/// persistence, killed at the end.
///
/// The one place the tests start Redis; it will give way to the lab's `redis` service kind. Suites that use
/// it say "needs Redis" in their names. Every wait here is a `Task.sleep`, never a blocking sleep: tests run
/// in parallel on as many threads as the machine has cores, and a blocked thread stalls every other test.
final class RedisServerProcess: Sendable {
    let port: Int
    let folder: URL
    let extraArguments: [String]
    private let process: Mutex<Process?>

    private init(port: Int, folder: URL, extraArguments: [String], process: Process) {
        self.port = port
        self.folder = folder
        self.extraArguments = extraArguments
        self.process = Mutex(process)
    }

    /// Starts Redis with `extraArguments` added to the command line (`--requirepass`, ...).
    /// - Throws: when redis-server is not installed (naming the package to install) or does not start.
    static func start(extraArguments: [String] = []) async throws -> RedisServerProcess {
        guard let executable = Self.executable else {
            throw RedisTestError("redis-server is not installed: sudo apt-get install redis-server (the integration tests start their own)")
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("labredis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        // A free port can be taken by someone else between finding and binding it: try a few.
        var attempt = 0
        while true {
            attempt += 1
            let port = try Self.freePort()
            do {
                let process = try await Self.launch(executable, port: port, folder: folder, extra: extraArguments)
                return RedisServerProcess(port: port, folder: folder, extraArguments: extraArguments, process: process)
            } catch  where attempt < 5 {
                continue
            }
        }
    }

    /// Where it is, with generous timeouts: the tests share 2 cores with each other and with whatever else
    /// the machine runs, so a stall of seconds is slowness, not a failure (tests of deadlines set their own).
    var configuration: RedisConfiguration {
        RedisConfiguration(host: "127.0.0.1", port: self.port, commandTimeout: .seconds(30), connectTimeout: .seconds(10))
    }

    /// SIGKILL, as a crash would: no goodbye to clients.
    func kill() async {
        guard let process = self.process.withLock({ $0.take() }) else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        while process.isRunning { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// Starts it again on the same port (after ``kill()``).
    func restart() async throws {
        guard let executable = Self.executable else { return }
        let process = try await Self.launch(executable, port: self.port, folder: self.folder, extra: self.extraArguments)
        self.process.withLock { $0 = process }
    }

    /// Kills it (nothing is persisted: `--save ""`) and removes its folder.
    func stop() async {
        await self.kill()
        try? FileManager.default.removeItem(at: self.folder)
    }

    static var executable: String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return (path.split(separator: ":").map { "\($0)/redis-server" } + ["/usr/bin/redis-server", "/usr/local/bin/redis-server"])
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private static func launch(_ executable: String, port: Int, folder: URL, extra: [String]) async throws -> Process {
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
        // Ready when it accepts a connection (30 s at most: a loaded CI machine is slow, not broken).
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline, process.isRunning {
            if Self.accepts(port: port) { return process }
            try await Task.sleep(for: .milliseconds(20))
        }
        Glibc.kill(process.processIdentifier, SIGKILL)
        let log = (try? String(contentsOf: folder.appendingPathComponent("redis.log"), encoding: .utf8)) ?? ""
        throw RedisTestError("redis-server on port \(port) did not start:\n\(log.suffix(2000))")
    }

    /// A port nothing listens on right now, outside the range outgoing connections use (``TestPorts``).
    static func freePort() throws -> Int { TestPorts.free() }

    /// Whether something accepts connections on the port (a loopback connect answers at once).
    static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = Self.loopback(port: port)
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        return address
    }
}

struct RedisTestError: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}
