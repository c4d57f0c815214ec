import Foundation

/// The native runner's private PostgreSQL: its own data folder inside `.lab/`, its own port (54329), loopback
/// only, password authentication. It never touches a system PostgreSQL the learner may already run.
///
/// When the lab runs as root (CI, containers), PostgreSQL refuses to run as root, so the server runs as the
/// `postgres` system user (created by Debian's package) through `runuser`.
public struct PostgresCluster: Sendable {
    public static let port = 54329
    /// The superuser that owns the cluster; only the tooling uses it.
    public static let adminUser = "lab_admin"
    /// The role scenario servers and `./lab psql` use: not a superuser, like an application in production.
    public static let appUser = "lab"
    /// The application role's password: well known on purpose (it is in every scenario's default
    /// `DATABASE_URL`, and the cluster listens on loopback only). The superuser's is not: ``adminPassword(paths:)``.
    public static let password = "lab"
    /// The superuser's password in Docker Compose (`docker-compose.base.yml`, `LAB_POSTGRES_ADMIN_PASSWORD`),
    /// and of clusters created before each cluster got its own.
    static let sharedAdminPassword = "lab"

    public let paths: LabPaths
    public let binDir: URL
    /// This cluster's folder (`.lab/postgres/`): `data/`, `run/` (its socket) and `postgres.log`.
    public let folder: URL
    /// The port it listens on (127.0.0.1).
    public let clusterPort: Int

    var data: URL { self.folder.appendingPathComponent("data") }
    var socket: URL { self.folder.appendingPathComponent("run") }
    public var log: URL { self.folder.appendingPathComponent("postgres.log") }

    /// Finds the PostgreSQL server programs (version 15 or newer).
    /// - Throws: ``LabError`` with the command that installs them, after trying to install them when it can.
    /// - Parameters:
    ///   - folder: another cluster's folder (a streaming replica's); default: the primary's, `.lab/postgres/`.
    ///   - port: that cluster's port; default: the primary's, ``port``.
    public init(paths: LabPaths, install: Bool = true, folder: URL? = nil, port: Int = PostgresCluster.port) throws {
        self.paths = paths
        self.folder = folder ?? paths.postgres
        self.clusterPort = port
        if let found = Self.findBinDir() {
            self.binDir = found
            return
        }
        guard install, try DebianPackages.install(["postgresql", "postgresql-contrib"], what: "PostgreSQL server programs"),
            let found = Self.findBinDir()
        else { throw Self.notInstalledError() }
        self.binDir = found
    }

    static func notInstalledError() -> LabError {
        LabError(
            """
            PostgreSQL 15 or newer is not installed (no initdb/pg_ctl found).
            Install it, then run the same command again:
                sudo apt-get install -y postgresql postgresql-contrib
            """
        )
    }

    /// Debian keeps server programs in /usr/lib/postgresql/<version>/bin, off PATH; prefer the newest ≥ 15.
    static func findBinDir() -> URL? {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).filter { $0 >= 15 }.sorted()
        for version in versions.reversed() {
            let bin = URL(fileURLWithPath: "\(base)/\(version)/bin")
            if FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("pg_ctl").path) { return bin }
        }
        if let pgCtl = Shell.which("pg_ctl") {
            return URL(fileURLWithPath: pgCtl).resolvingSymlinksInPath().deletingLastPathComponent()
        }
        return nil
    }

    func program(_ name: String) -> String { self.binDir.appendingPathComponent(name).path }

    /// The OS user PostgreSQL runs as: the current user, or `postgres` when we are root.
    var runAsUser: String? { Shell.isRoot ? "postgres" : nil }

    /// `arguments` prefixed so they run as ``runAsUser``.
    func asServerUser(_ arguments: [String]) -> [String] {
        guard let user = self.runAsUser else { return arguments }
        return ["runuser", "-u", user, "--"] + arguments
    }

    public enum Status: Equatable, Sendable {
        case notInitialized
        case stopped
        case running(pid: Int)
    }

    public func status() -> Status {
        guard FileManager.default.fileExists(atPath: self.data.appendingPathComponent("PG_VERSION").path) else {
            return .notInitialized
        }
        guard let output = try? Shell.capture(self.asServerUser([self.program("pg_ctl"), "status", "-D", self.data.path])),
            output.status == 0
        else { return .stopped }
        // "pg_ctl: server is running (PID: 1234)"
        let pid = output.text.split(separator: "PID: ").dropFirst().first.flatMap { Int($0.prefix { $0.isNumber }) } ?? 0
        return .running(pid: pid)
    }

    /// Creates the cluster if needed and starts it if it is not running. Safe to call any number of times.
    /// - Returns: true if it was started now, false if it was already running.
    @discardableResult
    public func start() throws -> Bool {
        if self.status() == .notInitialized { try self.initialize() }
        if case .running = self.status() { return false }
        try self.prepareFolders()
        let result = try Shell.capture(
            self.asServerUser([
                self.program("pg_ctl"), "start", "-D", self.data.path, "-l", self.log.path, "-w", "-t", "60",
            ])
        )
        guard result.status == 0 else {
            let log = (try? String(contentsOf: self.log, encoding: .utf8)) ?? ""
            let tail = log.split(separator: "\n").suffix(8).joined(separator: "\n")
            if tail.contains("Address already in use") || tail.contains("could not bind") {
                throw LabError(
                    "port \(self.clusterPort) is already used by another program, so the lab's PostgreSQL cannot start.\n"
                        + "Find it with `ss -ltnp | grep \(self.clusterPort)` and stop it, then run the command again.\n\(tail)"
                )
            }
            throw LabError("PostgreSQL did not start:\n\(result.text)\nLast lines of \(self.log.path):\n\(tail)")
        }
        return true
    }

    /// Stops the cluster (fast shutdown: open connections are closed, nothing is lost). Safe when stopped.
    public func stop() throws {
        guard case .running = self.status() else { return }
        try Shell.checked(self.asServerUser([self.program("pg_ctl"), "stop", "-D", self.data.path, "-m", "fast", "-w"]))
    }

    /// Rereads the configuration files (`pg_ctl reload`): the settings that need no restart take effect.
    public func reload() throws {
        guard case .running = self.status() else { return }
        try Shell.checked(self.asServerUser([self.program("pg_ctl"), "reload", "-D", self.data.path]))
    }

    /// Runs initdb and writes the lab's settings. A half-finished earlier attempt is removed first.
    func initialize() throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: self.data.path) {
            try fm.removeItem(at: self.data)  // no PG_VERSION: an interrupted initdb, nothing to keep
        }
        try self.prepareFolders()
        let passwordFile = self.folder.appendingPathComponent("initdb-password")
        let adminPassword = Self.randomPassword()
        try Self.saveAdminPassword(adminPassword, paths: self.paths)
        try adminPassword.write(to: passwordFile, atomically: true, encoding: .utf8)
        try self.giveToServerUser(passwordFile)
        defer { try? fm.removeItem(at: passwordFile) }
        try Shell.checked(
            self.asServerUser([
                self.program("initdb"), "-D", self.data.path, "-U", Self.adminUser, "--pwfile=\(passwordFile.path)",
                "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "--encoding=UTF8", "--no-locale",
            ])
        )
        var settings = """

            # --- lab settings (written by ./lab) ---
            listen_addresses = '127.0.0.1'
            port = \(self.clusterPort)
            unix_socket_directories = '\(self.socket.path)'
            max_connections = 100

            """
        if fm.fileExists(atPath: self.binDir.deletingLastPathComponent().appendingPathComponent("lib/pg_stat_statements.so").path) {
            settings += "shared_preload_libraries = 'pg_stat_statements'\n"
        }
        let conf = self.data.appendingPathComponent("postgresql.conf")
        let handle = try FileHandle(forWritingTo: conf)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(settings.utf8))
        try handle.close()
    }

    func prepareFolders() throws {
        let fm = FileManager.default
        for folder in [self.folder, self.socket] {
            try fm.createDirectory(at: folder, withIntermediateDirectories: true)
            try self.giveToServerUser(folder)
        }
        if !fm.fileExists(atPath: self.log.path) {
            _ = fm.createFile(atPath: self.log.path, contents: nil)
        }
        try self.giveToServerUser(self.log)
        if let user = self.runAsUser {
            let check = try Shell.capture(["runuser", "-u", user, "--", "test", "-w", self.folder.path])
            if check.status != 0 {
                throw LabError(
                    "the '\(user)' system user cannot write to \(self.folder.path) (PostgreSQL refuses to run as root, "
                        + "so it runs as '\(user)'). Make the folders above it readable: chmod o+x on each parent folder."
                )
            }
        }
    }

    func giveToServerUser(_ url: URL) throws {
        guard let user = self.runAsUser else { return }
        try Shell.checked(["chown", "\(user):", url.path])
    }

    /// Connection URL for `database` as the application role.
    public static func url(database: String) -> String {
        "postgres://\(appUser):\(password)@127.0.0.1:\(port)/\(database)"
    }

    /// Connection URL for `database` as the superuser.
    public static func adminURL(database: String, paths: LabPaths) throws -> String {
        "postgres://\(adminUser):\(try adminPassword(paths: paths))@127.0.0.1:\(port)/\(database)"
    }

    /// Where the superuser's password is kept: `.lab/postgres/admin-password`, readable by its owner only.
    static func adminPasswordFile(_ paths: LabPaths) -> URL { paths.postgres.appendingPathComponent("admin-password") }

    /// The superuser's password. Each native cluster gets its own at creation, so that another user of the
    /// machine cannot become superuser of the lab's PostgreSQL (a superuser can run programs as the server's
    /// user, `COPY ... FROM PROGRAM`). Docker Compose's is set in its file (`LAB_POSTGRES_ADMIN_PASSWORD`).
    public static func adminPassword(paths: LabPaths) throws -> String {
        if PostgresService.isExternal { return ProcessInfo.processInfo.environment["LAB_POSTGRES_ADMIN_PASSWORD"] ?? Self.sharedAdminPassword }
        guard let saved = try? String(contentsOf: Self.adminPasswordFile(paths), encoding: .utf8) else {
            // A cluster made before clusters had their own password: ``secureAdminPassword()`` replaces it.
            return Self.sharedAdminPassword
        }
        return saved.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A new random password of letters and digits.
    static func randomPassword() -> String {
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<24).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
    }

    /// Saves the superuser's password for ``adminPassword(paths:)``, readable by its owner only.
    static func saveAdminPassword(_ password: String, paths: LabPaths) throws {
        let file = Self.adminPasswordFile(paths)
        try FileManager.default.createDirectory(at: paths.postgres, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: file)
        guard FileManager.default.createFile(atPath: file.path, contents: Data(password.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw LabError("could not write \(file.path)")
        }
    }
}
