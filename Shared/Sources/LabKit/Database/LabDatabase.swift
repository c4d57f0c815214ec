import Foundation
import LabCore
import LoadTestKit
import Logging
import PostgresNIO

/// The scenario databases: which URL a scenario uses, creating its role and database, resetting it.
public struct LabDatabase: Sendable {
    public let paths: LabPaths
    let logger: Logger

    public init(paths: LabPaths, logger: Logger = Logger(label: "lab.database")) {
        self.paths = paths
        var logger = logger
        logger.logLevel = .error
        self.logger = logger
    }

    /// The scenario's database on the lab's PostgreSQL (127.0.0.1:54329), as the application role. The same
    /// URL in both ways to run: natively the runner's private cluster listens there; in Docker Compose the
    /// `postgres` container does, because every service shares its network namespace.
    public static func url(for scenario: Scenario) throws -> DatabaseURL {
        try DatabaseURL(PostgresCluster.url(database: scenario.manifest.database))
    }

    /// `database` as the cluster's administrator. The tooling connects this way when it must work even while
    /// an application holds every ordinary connection slot: PostgreSQL keeps `superuser_reserved_connections`
    /// (3) for administrators.
    public func adminURL(database: String = "postgres") throws -> DatabaseURL {
        try DatabaseURL(PostgresCluster.adminURL(database: database, paths: self.paths))
    }

    /// Makes sure PostgreSQL answers: starts the private cluster (native) or waits for the one Docker Compose
    /// runs (`LAB_POSTGRES=external`, it may still be starting when the Codespace opens).
    /// - Returns: what happened, for the learner (nil when it was already running).
    @discardableResult
    public func startServer(waitingUpTo timeout: Duration = .seconds(120)) async throws -> String? {
        guard PostgresService.isExternal else {
            // One at a time: two first starts side by side (parallel test suites, two terminals) would both run
            // initdb into one folder and save different superuser passwords.
            return try await self.setupLock.withLock {
                let started = try PostgresCluster(paths: self.paths).start()
                try await self.secureAdminPassword()
                return started ? "started PostgreSQL on 127.0.0.1:\(PostgresCluster.port) (data in \(self.paths.postgresData.path))" : nil
            }
        }
        let admin = try self.adminURL()
        let started = ContinuousClock.now
        while true {
            do {
                try await self.withConnection(to: admin) { connection in
                    _ = try await connection.query("SELECT 1", logger: self.logger).collect()
                }
                let waited = ContinuousClock.now - started
                return waited > .seconds(1) ? "PostgreSQL (Docker Compose) is ready after \(Int(waited.seconds)) s" : nil
            } catch {
                if ContinuousClock.now - started > timeout {
                    throw LabError(
                        "PostgreSQL (LAB_POSTGRES=external) did not let the lab in on 127.0.0.1:\(PostgresCluster.port) within \(timeout) "
                            + "(\(String(reflecting: error).prefix(300))). In Docker Compose, check the postgres container: docker compose "
                            + "logs postgres; its superuser password must be LAB_POSTGRES_ADMIN_PASSWORD's (default: lab)."
                    )
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// A cluster created before each cluster had its own superuser password still has the shared one: give it
    /// a new random one (saved owner-only in `.lab/postgres/`). Nothing to do for newer clusters.
    func secureAdminPassword() async throws {
        guard !FileManager.default.fileExists(atPath: PostgresCluster.adminPasswordFile(self.paths).path) else { return }
        let password = PostgresCluster.randomPassword()
        try await self.withConnection(to: try self.adminURL()) { connection in
            // A password cannot be a bound parameter; it is ours, made of letters and digits only.
            try await connection.query(
                PostgresQuery(unsafeSQL: "ALTER ROLE \(PostgresCluster.adminUser) PASSWORD '\(password)'"),
                logger: self.logger
            )
        }
        try PostgresCluster.saveAdminPassword(password, paths: self.paths)
    }

    /// Creates the application role and the scenario's database if they do not exist.
    public func ensureDatabase(for scenario: Scenario) async throws {
        try await self.setupLock.withLock { try await self.createRoleAndDatabase(for: scenario) }
    }

    /// Held while the cluster is created or started and while roles and databases are created: each step
    /// checks, then creates, which two processes doing it at once would both do.
    var setupLock: FileLock { FileLock(self.paths.state.appendingPathComponent("postgres-setup.lock")) }

    private func createRoleAndDatabase(for scenario: Scenario) async throws {
        let admin = try self.adminURL()
        try await self.withConnection(to: admin) { connection in
            let role = PostgresCluster.appUser
            let roles = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)", logger: self.logger).collect()
            if roles.isEmpty {
                // Identifiers cannot be bound parameters; these are constants of ours, not user input.
                try await connection.query(
                    PostgresQuery(unsafeSQL: "CREATE ROLE \(role) LOGIN CREATEDB PASSWORD '\(PostgresCluster.password)'"),
                    logger: self.logger
                )
            }
            // What a DBA grants a developer who investigates: every statistics view in full (pg_stat_replication's
            // lag columns, other sessions' queries in pg_stat_activity), and nothing else.
            try await connection.query(PostgresQuery(unsafeSQL: "GRANT pg_read_all_stats TO \(role)"), logger: self.logger)
            let name = scenario.manifest.database
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw LabError("lab.json database name '\(name)' may only contain letters, digits and _")
            }
            let databases = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: self.logger).collect()
            if databases.isEmpty {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) OWNER \(role)"), logger: self.logger)
            }
            // A role per instance (scenario 06), a member of the application role: the same rights, its own login.
            if scenario.manifest.instances?.databaseRolePerInstance == true {
                for instanceRole in scenario.allInstances.compactMap(\.databaseRole) {
                    let exists = try await connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(instanceRole)", logger: self.logger).collect()
                    if exists.isEmpty {
                        try await connection.query(
                            PostgresQuery(
                                unsafeSQL: "CREATE ROLE \(instanceRole) LOGIN PASSWORD '\(PostgresCluster.password)' IN ROLE \(role)"
                            ),
                            logger: self.logger
                        )
                    } else {
                        // A check stopped halfway through a fault phase may have left it unable to log in.
                        try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(instanceRole) LOGIN"), logger: self.logger)
                    }
                }
            }
        }
        // pg_stat_statements ranks queries by total time (scenario 02). Only a superuser may create it.
        let adminScenario = try self.adminURL(database: scenario.manifest.database)
        _ = try? await self.withConnection(to: adminScenario) { connection in
            try await connection.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", logger: self.logger)
            // Let the learner clear the statistics before a measurement, as a DBA would grant a developer.
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: "GRANT EXECUTE ON FUNCTION pg_stat_statements_reset(oid, oid, bigint) TO \(PostgresCluster.appUser)"
                ),
                logger: self.logger
            )
        }
    }

    /// Cuts one instance off its database, as a revoked credential or a broken network path would: its role may
    /// no longer log in, and its open connections are closed. The other instances keep theirs.
    /// - Returns: how many of its connections were closed.
    @discardableResult
    public func cutOff(_ instance: ServerInstance) async throws -> Int {
        guard let instanceRole = instance.databaseRole else { return 0 }
        return try await self.withConnection(to: try self.adminURL()) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(instanceRole) NOLOGIN"), logger: self.logger)
            let rows = try await connection.query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = \(instanceRole)",
                logger: self.logger
            ).collect()
            return rows.count
        }
    }

    /// Lets the instance ``cutOff(_:)`` log in again; its pool reconnects by itself.
    public func reconnect(_ instance: ServerInstance) async throws {
        guard let instanceRole = instance.databaseRole else { return }
        try await self.withConnection(to: try self.adminURL()) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE \(instanceRole) LOGIN"), logger: self.logger)
        }
    }

    /// Where PostgreSQL's write-ahead log is now (an LSN such as `0/3A2B4C8`), to measure how much a load wrote.
    public func walPosition(on scenario: Scenario) async throws -> String? {
        try await self.strings("SELECT pg_current_wal_lsn()::text", on: scenario, asAdmin: true).first
    }

    /// Bytes written to the write-ahead log since `position` (by the whole cluster).
    public func walBytes(since position: String, on scenario: Scenario) async throws -> Double? {
        guard position.allSatisfy({ $0.isHexDigit || $0 == "/" }) else { return nil }
        return try await self.strings("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '\(position)')::text", on: scenario, asAdmin: true)
            .first.flatMap(Double.init)
    }

    /// WAL records written so far by the whole cluster (`pg_stat_wal.wal_records`). One per change: a row
    /// inserted into a table with three indexes writes four (the row, then an entry in each index), however big
    /// each is, and whether or not it carries a full copy of its page (the first change to a page after a
    /// checkpoint does). A count of the work that does not depend on how fast it went.
    public func walRecords() async throws -> Double? {
        let admin = try self.adminURL()
        return try await self.strings("SELECT wal_records::text FROM pg_stat_wal", at: admin).first.flatMap(Double.init)
    }

    /// Forces a checkpoint (as the admin user: only a superuser may), so a measurement that follows does not
    /// pay for the writes of the one before it.
    public func checkpoint() async throws {
        let admin = try self.adminURL()
        try await self.withConnection(to: admin) { connection in
            try await connection.query("CHECKPOINT", logger: self.logger)
        }
    }

    /// Drops everything the scenario's tables hold (learner's indexes included) so the next seed starts over,
    /// and forgets the settings a learner gave the database (`ALTER DATABASE … SET
    /// idle_in_transaction_session_timeout`), for every role: a reset scenario behaves as shipped.
    public func resetScenarioDatabase(for scenario: Scenario) async throws {
        try await self.withConnection(to: try Self.url(for: scenario)) { connection in
            try await connection.query("DROP SCHEMA IF EXISTS public CASCADE", logger: self.logger)
            try await connection.query("CREATE SCHEMA public", logger: self.logger)
        }
        let name = "\"" + scenario.manifest.database.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        try await self.withConnection(to: try self.adminURL()) { connection in
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(name) RESET ALL"), logger: self.logger)
            try await connection.query(PostgresQuery(unsafeSQL: "ALTER ROLE ALL IN DATABASE \(name) RESET ALL"), logger: self.logger)
        }
    }

    /// Runs `sql` (one or more statements, no parameters) on the scenario database, one statement at a time.
    public func execute(_ sql: String, on scenario: Scenario) async throws {
        try await self.withConnection(to: try Self.url(for: scenario)) { connection in
            for statement in SQLScript.statements(sql) {
                do {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                } catch let error as PSQLError {
                    // PSQLError hides the server's message unless asked for it explicitly.
                    let message = error.serverInfo?[.message] ?? String(reflecting: error)
                    throw LabError("SQL failed: \(message)\nStatement: \(statement.prefix(300))")
                }
            }
        }
    }

    /// Returns the first column of every row of `sql`, as text (for load-test parameters).
    /// - Parameter asAdmin: connect as the administrator, in a reserved slot: works even while a server's
    ///   pool holds every ordinary connection (scenario 03's "pool of 200").
    public func strings(_ sql: String, on scenario: Scenario, asAdmin: Bool = false) async throws -> [String] {
        let url = asAdmin ? try self.adminURL(database: scenario.manifest.database) : try Self.url(for: scenario)
        return try await self.strings(sql, at: url)
    }

    /// The first column of every row of `sql`, as text, from the database at `url` (a replica's).
    public func strings(_ sql: String, at url: DatabaseURL) async throws -> [String] {
        try await self.withConnection(to: url) { connection in
            var values: [String] = []
            do {
                for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: self.logger) {
                    values.append(try row.decode(String.self))
                }
            } catch let error as PSQLError {
                throw LabError("SQL failed: \(error.serverInfo?[.message] ?? String(reflecting: error))\nQuery: \(sql.prefix(300))")
            }
            return values
        }
    }

    /// How many 8 KB pages `query` touches when run (`EXPLAIN (ANALYZE, BUFFERS)`), read from disk or found
    /// in PostgreSQL's memory: the top plan node's buffers, which include its children's and parallel workers'.
    /// The work itself, whatever shape the planner gave the plan.
    public func pagesTouched(by query: String, on scenario: Scenario) async throws -> Double? {
        let json = try await self.strings("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query, on: scenario).joined()
        guard let plans = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]],
            let plan = plans.first?["Plan"] as? [String: Any]
        else { return nil }
        let hit = (plan["Shared Hit Blocks"] as? NSNumber)?.doubleValue ?? 0
        let read = (plan["Shared Read Blocks"] as? NSNumber)?.doubleValue ?? 0
        return hit + read
    }

    /// Opens one connection for `body` and closes it afterwards.
    ///
    /// When every connection slot is taken it tries again for 2 s before giving up: a slot comes free a moment
    /// after a client disconnects (its server process must exit first), and the tooling often connects right
    /// after stopping a server with a big pool.
    @discardableResult
    public func withConnection<Result>(to url: DatabaseURL, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        var connection: PostgresConnection?
        var attempt = 0
        while connection == nil {
            attempt += 1
            do {
                connection = try await PostgresConnection.connect(configuration: url.connectionConfiguration, id: 1, logger: self.logger)
            } catch let error as PSQLError where error.serverInfo?[.sqlState] == "53300" {
                // too_many_connections: PostgreSQL is up, but every connection slot is taken.
                if attempt < 20 {
                    try await Task.sleep(for: .milliseconds(100))
                    continue
                }
                throw LabError(
                    "PostgreSQL refused a connection to \(url): \(error.serverInfo?[.message] ?? "too many clients"). "
                        + "Every connection slot (max_connections) is taken: a server's pool is probably holding them. "
                        + "Stop it (./lab stop <scenario>) or give it a smaller pool."
                )
            } catch {
                throw LabError(
                    "cannot connect to PostgreSQL at \(url) (\(String(reflecting: error).prefix(300))). Is it running? Try `./lab db start`."
                )
            }
        }
        guard let connection else { preconditionFailure("the loop only ends with a connection") }
        return try await connection.closing(after: body)
    }
}
