import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A Redis for one scenario (kind `redis`): Debian's `redis-server` with the scenario's own config file
/// (`config`: memory limit, eviction policy, persistence off) on its `port`, its files in
/// `.lab/<scenario>/redis/`, and the Redis exporter on 9121 when installed. In Docker Compose
/// (`LAB_REDIS=external`) the `redis` container runs the same file and the lab only waits for it.
///
/// The config file is the learner's to edit (`./lab reset` restores it, and empties Redis).
public struct RedisService: LabService {
    public static let kind = "redis"
    public let scenario: Scenario
    public let paths: LabPaths
    public let port: Int
    public let config: String
    public let name: String
    /// `options.exporter: "off"`: no Prometheus exporter (tests that run several Redis at once).
    let exporterEnabled: Bool
    public var learnerFiles: [String] { [self.config] }

    public init(declaration: ServiceDeclaration, scenario: Scenario, paths: LabPaths) throws {
        self.scenario = scenario
        self.paths = paths
        self.port = try declaration.required(declaration.port, "port")
        self.config = try declaration.required(declaration.config, "config")
        self.name = declaration.name ?? "redis"
        self.exporterEnabled = declaration.options?["exporter"] != "off"
    }

    var folder: URL { self.paths.runtime(for: self.scenario).appendingPathComponent(self.name) }
    public var process: BackgroundProcess { BackgroundProcess(name: self.name, folder: self.paths.runtime(for: self.scenario)) }
    var exporter: PrometheusExporter { .redis(paths: self.paths, redisPort: self.port, port: 9121) }
    public var logFiles: [URL] { [self.process.logFile] }

    /// `redis-server`'s path, installing Debian's package the first time when this machine lets the lab.
    static func binary() throws -> String {
        if let found = Shell.which("redis-server") { return found }
        guard try DebianPackages.install(["redis-server"], what: "Redis"), let found = Shell.which("redis-server") else {
            throw LabError(
                """
                Redis (redis-server) is not installed. Install it, then run the same command again:
                    sudo apt-get install -y redis-server
                """
            )
        }
        return found
    }

    public func start(build: Bool) async throws -> String {
        if Self.isExternal { return try await self.waitForExternal() }
        var line: String
        if let (pid, _) = self.process.running() {
            line = "Redis already running on 127.0.0.1:\(self.port) (pid \(pid)); " + (try self.applyConfig())
        } else {
            let listening = ListeningProcess(process: self.process, port: self.port)
            try listening.ensurePortFree(what: "Redis (\(self.name))")
            try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
            // The config file decides the lesson's settings; these only say where this copy keeps its files
            // and that it stays in the foreground (the lab watches it) on loopback.
            let child = try await listening.start(
                [
                    try Self.binary(), self.scenario.file(self.config).path, "--port", String(self.port), "--bind", "127.0.0.1",
                    "--dir", self.folder.path, "--daemonize", "no", "--logfile", "",
                ]
            )
            line = "started Redis on 127.0.0.1:\(self.port) with \(self.config) (pid \(child.pid))"
        }
        if self.exporterEnabled, let started = try? await self.exporter.start() { line += "; \(started)" }
        return line
    }

    /// With `LAB_REDIS=external`: waits until the Redis someone else runs (Docker Compose) answers `PING`.
    public func waitForExternal(timeout: Duration = .seconds(60)) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while (try? self.command(["PING"])) != "PONG" {
            guard ContinuousClock.now < deadline else {
                throw LabError("Redis (\(Self.externalVariable)=external) did not answer on 127.0.0.1:\(self.port) within \(timeout)")
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return "Redis (Docker Compose) answers on 127.0.0.1:\(self.port); " + (try self.applyConfig())
    }

    /// Sends each setting of the config file to the running Redis (`CONFIG SET maxmemory-policy allkeys-lru`).
    /// Redis reads its file only when it starts: without this, a learner's edit of `redis.conf` would wait for a
    /// restart the lab does not do (Docker Compose's Redis, or one left running).
    func applyConfig() throws -> String {
        let text = try String(contentsOf: self.scenario.file(self.config), encoding: .utf8)
        let settings = Self.settings(in: text)
        for (name, value) in settings {
            do {
                _ = try self.command(["CONFIG", "SET", name, value])
            } catch {
                throw LabError("\(self.config): Redis refused `\(name) \(value)`: \(error). Fix that line, then start again.")
            }
        }
        return "\(self.config) applied (\(settings.map { "\($0.name) \($0.value)" }.joined(separator: ", ")))"
    }

    /// The `name value` lines of a redis.conf, comments and blank lines skipped, quotes around a value removed.
    public static func settings(in text: String) -> [(name: String, value: String)] {
        text.split(whereSeparator: \.isNewline).compactMap { raw in
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { return nil }
            let parts = line.split(maxSplits: 1, whereSeparator: \.isWhitespace)
            var value = parts.count > 1 ? parts[1].trimmingCharacters(in: .whitespaces) : ""
            if value.count >= 2, value.first == "\"", value.last == "\"" { value = String(value.dropFirst().dropLast()) }
            return (String(parts[0]), value)
        }
    }

    public func stop() async -> String? {
        if self.exporterEnabled { await self.exporter.stop() }
        return await self.process.stop() ? "stopped Redis (\(self.name)) of \(self.scenario.folderName)" : nil
    }

    public func status() -> String {
        if Self.isExternal { return "\(self.name): Redis run by Docker Compose on 127.0.0.1:\(self.port)" }
        return "\(self.name): " + (self.process.running().map { "running on 127.0.0.1:\(self.port) (pid \($0.pid))" } ?? "stopped")
    }

    /// Empties it: a reset scenario starts with a cold cache.
    public func reset() async throws -> String? {
        guard (try? self.command(["PING"])) == "PONG" else { return nil }
        _ = try self.command(["FLUSHALL"])
        return "emptied Redis (\(self.name)): FLUSHALL"
    }

    /// The fields of `INFO` (`evicted_keys` → `0`), for the checks.
    public func info() throws -> [String: String] {
        Self.fields(ofInfo: try self.command(["INFO"]))
    }

    /// `INFO`'s `name:value` lines as a dictionary. An error count (`errorstat_OOM:count=7`) is kept as its
    /// number (`errorstat_OOM` → `7`), so that a check can count one kind of error: `total_error_replies` also
    /// counts the NOSCRIPT replies a fresh Redis gives each script's first EVALSHA, which are no fault (the client
    /// sends the script once more) but were read as a full cache on a slower machine.
    public static func fields(ofInfo text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = String(line[..<colon])
            var value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("errorstat_"), value.hasPrefix("count=") {
                value = String(value.dropFirst("count=".count).prefix { $0.isNumber })
            }
            fields[name] = value
        }
        return fields
    }

    /// How many commands Redis has run since it started (`INFO`'s `total_commands_processed`).
    public func commandsProcessed() throws -> Double {
        try self.info()["total_commands_processed"].flatMap(Double.init) ?? 0
    }

    /// Sends one command and returns its reply as text: the few words the tooling needs (PING, FLUSHALL,
    /// INFO), over a plain socket, so LabKit needs no Redis client (scenario servers use LabRedis).
    public func command(_ arguments: [String]) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw LabError("no socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard LocalHTTP.connect(fd, port: self.port) else { throw LabError("Redis does not answer on 127.0.0.1:\(self.port)") }
        let request = "*\(arguments.count)\r\n" + arguments.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
        let bytes = Array(request.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { throw LabError("could not write to Redis on \(self.port)") }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        // A simple string (+OK), an error (-ERR ...), or a bulk string ($<length>\r\n<bytes>\r\n).
        while true {
            let n = read(fd, &chunk, chunk.count)
            guard n > 0 else { break }
            reply += chunk[0..<n]
            let text = String(decoding: reply, as: UTF8.self)
            guard let lineEnd = text.range(of: "\r\n") else { continue }
            let first = text[..<lineEnd.lowerBound]
            if first.hasPrefix("+") { return String(first.dropFirst()) }
            if first.hasPrefix("-") { throw LabError("Redis said: \(first.dropFirst())") }
            if first.hasPrefix("$"), let length = Int(first.dropFirst()) {
                let body = Array(text[lineEnd.upperBound...].utf8)
                if length < 0 { return "" }
                if body.count >= length { return String(decoding: body.prefix(length), as: UTF8.self) }
            }
        }
        throw LabError("no complete answer from Redis on 127.0.0.1:\(self.port)")
    }
}
