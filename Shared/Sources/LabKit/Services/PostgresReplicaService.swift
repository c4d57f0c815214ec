import Foundation
import LabCore
import PostgresNIO

/// A streaming replica of the lab's PostgreSQL (kind `postgres-replica`): a hot standby made from the primary
/// with `pg_basebackup -R`, on its own `port`, its data in `.lab/postgres-replica-<port>/`, replaying every
/// change the primary makes (all scenarios' databases, since a replica copies a whole cluster). Reads work on
/// it; writes are refused ("read-only transaction").
///
/// `options` become its settings, for the lessons of replication lag: `recovery_min_apply_delay` (stand in
/// for a replica far away), `hot_standby_feedback`, `max_standby_streaming_delay`. Its exporter runs on 9188
/// when installed. In Docker Compose (`LAB_POSTGRES_REPLICA=external`) a second container runs it.
///
/// `config` (optional) names a file of the scenario folder with more of its settings, one `name = value` per
/// line, the learner's to edit: `./lab up` applies it (a reload when the replica runs), `./lab reset`
/// restores it. Its settings come after `options`, so they win.
public struct PostgresReplicaService: LabService {
    public static let kind = "postgres-replica"
    public let scenario: Scenario
    public let paths: LabPaths
    public let port: Int
    public let name: String
    let options: [String: String]
    /// The learner's settings file, relative to the scenario folder (`replica.conf`).
    public let config: String?
    public var learnerFiles: [String] { self.config.map { [$0] } ?? [] }

    public init(declaration: ServiceDeclaration, scenario: Scenario, paths: LabPaths) throws {
        self.scenario = scenario
        self.paths = paths
        self.port = try declaration.required(declaration.port, "port")
        self.name = declaration.name ?? "replica"
        self.options = declaration.options ?? [:]
        self.config = declaration.config
        for key in self.options.keys where !key.allSatisfy({ $0.isLetter || $0 == "_" }) {
            throw LabError("a postgres-replica option must be a PostgreSQL setting name; got '\(key)'")
        }
    }

    public var folder: URL { self.paths.state.appendingPathComponent("postgres-replica-\(self.port)") }
    public func cluster(install: Bool = false) throws -> PostgresCluster {
        try PostgresCluster(paths: self.paths, install: install, folder: self.folder, port: self.port)
    }
    var exporter: PrometheusExporter? {
        try? .postgres(paths: self.paths, databasePort: self.port, port: 9188, name: "replica-exporter")
    }
    public var logFiles: [URL] { [self.folder.appendingPathComponent("postgres.log")] }

    /// The replica's URL for `database` as the application role (reads only).
    public func url(database: String) throws -> DatabaseURL {
        try DatabaseURL("postgres://\(PostgresCluster.appUser):\(PostgresCluster.password)@127.0.0.1:\(self.port)/\(database)")
    }

    public func start(build: Bool) async throws -> String {
        if Self.isExternal { return try await self.waitForExternal() }
        // The primary first: the replica is made from it and streams from it.
        _ = try await LabDatabase(paths: self.paths).startServer()
        let cluster = try self.cluster(install: true)
        var line: String
        if cluster.status() == .notInitialized {
            try await self.create(cluster)
            line = "made a streaming replica of PostgreSQL (pg_basebackup) on 127.0.0.1:\(self.port)"
        } else {
            line = "replica on 127.0.0.1:\(self.port)"
        }
        try self.writeSettings(cluster)
        let logBefore = Self.size(of: self.logFiles[0])
        if try cluster.start() {
            line += ", started"
        } else {
            try cluster.reload()  // a changed config file takes effect now
            line += ", already running" + (self.config.map { " (\($0) reloaded)" } ?? "")
        }
        try await self.waitUntilAccepting(timeout: .seconds(60))
        if try await self.remadeBecauseItFellTooFarBehind(cluster, logFrom: logBefore) {
            line += "; it was stopped so long that the primary had recycled the changes it needed, so it was made again"
        }
        if let started = try? await self.exporter?.start() { line += "; \(started)" }
        return line
    }

    /// Copies the primary with `pg_basebackup -R` (which also writes `standby.signal`: start as a standby).
    func create(_ cluster: PostgresCluster) async throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: cluster.data.path) { try fm.removeItem(at: cluster.data) }  // a half-made copy
        try cluster.prepareFolders()
        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = try PostgresCluster.adminPassword(paths: self.paths)
        try await Shell.checked(
            cluster.asServerUser([
                cluster.program("pg_basebackup"), "-h", "127.0.0.1", "-p", String(PostgresCluster.port), "-U", PostgresCluster.adminUser,
                "-D", cluster.data.path, "-R", "-X", "stream", "--checkpoint=fast",
            ]),
            environment: environment
        )
    }

    /// A replica stopped for long, while the primary wrote a lot (seeding another scenario), finds the primary
    /// has recycled the WAL it needs ("requested WAL segment ... has already been removed") and can never catch
    /// up by streaming: it is copied again, which is what an operator would do.
    func remadeBecauseItFellTooFarBehind(_ cluster: PostgresCluster, logFrom offset: UInt64) async throws -> Bool {
        let url = try self.url(database: "postgres")
        for _ in 0..<40 {
            let status = try? await LabDatabase(paths: self.paths).withConnection(to: url) { connection in
                try await connection.query("SELECT status FROM pg_stat_wal_receiver", logger: connection.logger).collect()
                    .first?.decode(String.self)
            }
            if status == "streaming" { return false }
            let log = Self.text(of: self.logFiles[0], from: offset)
            if log.contains("has already been removed") {
                try cluster.stop()
                try await self.create(cluster)
                try self.writeSettings(cluster)
                try cluster.start()
                try await self.waitUntilAccepting(timeout: .seconds(60))
                return true
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        return false
    }

    static func size(of file: URL) -> UInt64 {
        ((try? FileManager.default.attributesOfItem(atPath: file.path))?[.size] as? NSNumber)?.uint64Value ?? 0
    }

    /// What `file` holds from `offset` on (all of it when it is shorter: it was replaced).
    static func text(of file: URL, from offset: UInt64) -> String {
        guard let handle = try? FileHandle(forReadingFrom: file) else { return "" }
        defer { try? handle.close() }
        let end = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: offset <= end ? offset : 0)
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }

    /// The learner's settings file, checked line by line: `name = value`, blank lines and `#` comments.
    /// - Throws: ``LabError`` naming the file and the line that is neither.
    public func learnerSettings() throws -> [(name: String, value: String)] {
        guard let config = self.config else { return [] }
        let file = self.scenario.file(config)
        guard let text = try? String(contentsOf: file, encoding: .utf8) else {
            throw LabError("\(self.scenario.folderName)/\(config) is missing (./lab reset \(self.scenario.number) puts it back)")
        }
        return try Self.settings(in: text, file: "\(self.scenario.folderName)/\(config)")
    }

    public static func settings(in text: String, file: String) throws -> [(name: String, value: String)] {
        var settings: [(name: String, value: String)] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(raw)
            if let hash = line.firstIndex(of: "#"), !line[..<hash].contains("'") { line = line[..<hash] }
            line = Substring(line.trimmingCharacters(in: .whitespaces))
            if line.isEmpty { continue }
            let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
                parts[0].allSatisfy({ $0.isLetter || $0 == "_" }), !parts[1].contains("\n")
            else {
                throw LabError("\(file), line \(number + 1): expected a setting as `name = value`, got '\(raw)'")
            }
            var value = parts[1]
            if value.hasPrefix("'"), value.hasSuffix("'"), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            guard !value.contains("'") else {
                throw LabError("\(file), line \(number + 1): a value may not contain a quote: '\(raw)'")
            }
            settings.append((parts[0], value))
        }
        return settings
    }

    /// The replica's own settings (port, socket, the scenario's options, the learner's file), after the
    /// primary's copied ones: the last value of a setting wins. Written again at every start, so a changed
    /// option or file takes effect.
    func writeSettings(_ cluster: PostgresCluster) throws {
        let conf = cluster.data.appendingPathComponent("postgresql.conf")
        var text = try String(contentsOf: conf, encoding: .utf8)
        let marker = "\n# --- replica settings (written by ./lab) ---\n"
        if let start = text.range(of: marker) { text = String(text[..<start.lowerBound]) }
        text += marker
        text += "port = \(self.port)\nunix_socket_directories = '\(cluster.socket.path)'\nhot_standby = on\n"
        for (key, value) in self.options.sorted(by: { $0.key < $1.key }) {
            text += "\(key) = '\(value.replacingOccurrences(of: "'", with: "''"))'\n"
        }
        if let config = self.config { text += "# from \(self.scenario.folderName)/\(config)\n" }
        for (key, value) in try self.learnerSettings() { text += "\(key) = '\(value)'\n" }
        try text.write(to: conf, atomically: true, encoding: .utf8)
        try cluster.giveToServerUser(conf)
    }

    /// With `LAB_POSTGRES_REPLICA=external`: waits until the replica someone else runs (Docker Compose) answers.
    public func waitForExternal(timeout: Duration = .seconds(120)) async throws -> String {
        try await self.waitUntilAccepting(timeout: timeout)
        return "replica (Docker Compose) answers on 127.0.0.1:\(self.port)"
    }

    func waitUntilAccepting(timeout: Duration) async throws {
        let deadline = ContinuousClock.now + timeout
        let url = try self.url(database: "postgres")
        while true {
            do {
                try await LabDatabase(paths: self.paths).withConnection(to: url) { connection in
                    _ = try await connection.query("SELECT 1", logger: connection.logger).collect()
                }
                return
            } catch {
                guard ContinuousClock.now < deadline else {
                    throw LabError("the replica on 127.0.0.1:\(self.port) does not accept connections: \(error). Its log: \(self.logFiles[0].path)")
                }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    public func stop() async -> String? {
        await self.exporter?.stop()
        guard !Self.isExternal, let cluster = try? self.cluster(), case .running = cluster.status() else { return nil }
        do {
            try cluster.stop()
            return "stopped the replica on 127.0.0.1:\(self.port)"
        } catch {
            return "the replica did not stop: \(error)"
        }
    }

    public func status() -> String {
        if Self.isExternal { return "\(self.name): run by Docker Compose on 127.0.0.1:\(self.port)" }
        guard let cluster = try? self.cluster() else { return "\(self.name): PostgreSQL is not installed" }
        switch cluster.status() {
        case .notInitialized: return "\(self.name): not made yet (./lab up makes it from the primary)"
        case .stopped: return "\(self.name): stopped"
        case .running(let pid): return "\(self.name): streaming replica running on 127.0.0.1:\(self.port) (pid \(pid))"
        }
    }
}
