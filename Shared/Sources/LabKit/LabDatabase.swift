import Foundation
import LabServer
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

    /// `DATABASE_URL` when set (Docker Compose / Codespaces run PostgreSQL themselves), else the native
    /// runner's private cluster with one database per scenario.
    public static func url(for scenario: Scenario, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> DatabaseURL {
        if let external = environment["DATABASE_URL"], !external.isEmpty {
            return try DatabaseURL(external)
        }
        return try DatabaseURL(PostgresCluster.url(database: scenario.manifest.database))
    }

    /// True when the lab manages PostgreSQL itself (no `DATABASE_URL` in the environment).
    public static var isManaged: Bool {
        (ProcessInfo.processInfo.environment["DATABASE_URL"] ?? "").isEmpty
    }

    /// Creates the application role and the scenario's database if they do not exist (private cluster only).
    public func ensureDatabase(for scenario: Scenario) async throws {
        guard Self.isManaged else { return }
        let admin = try DatabaseURL(PostgresCluster.url(database: "postgres", user: PostgresCluster.adminUser))
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
            let name = scenario.manifest.database
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                throw LabError("lab.json database name '\(name)' may only contain letters, digits and _")
            }
            let databases = try await connection.query("SELECT 1 FROM pg_database WHERE datname = \(name)", logger: self.logger).collect()
            if databases.isEmpty {
                try await connection.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) OWNER \(role)"), logger: self.logger)
            }
        }
        // pg_stat_statements ranks queries by total time (scenario 02). Only a superuser may create it.
        let adminScenario = try DatabaseURL(PostgresCluster.url(database: scenario.manifest.database, user: PostgresCluster.adminUser))
        _ = try? await self.withConnection(to: adminScenario) { connection in
            try await connection.query("CREATE EXTENSION IF NOT EXISTS pg_stat_statements", logger: self.logger)
        }
    }

    /// Drops everything the scenario's tables hold (learner's indexes included) so the next seed starts over.
    public func dropScenarioTables(for scenario: Scenario) async throws {
        try await self.withConnection(to: try Self.url(for: scenario)) { connection in
            try await connection.query("DROP SCHEMA IF EXISTS public CASCADE", logger: self.logger)
            try await connection.query("CREATE SCHEMA public", logger: self.logger)
        }
    }

    /// Runs `sql` (one or more statements, no parameters) on the scenario database, one statement at a time.
    public func execute(_ sql: String, on scenario: Scenario) async throws {
        try await self.withConnection(to: try Self.url(for: scenario)) { connection in
            for statement in SQLScript.statements(sql) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
            }
        }
    }

    /// Returns the first column of every row of `sql`, as text (for load-test parameters).
    public func strings(_ sql: String, on scenario: Scenario) async throws -> [String] {
        try await self.withConnection(to: try Self.url(for: scenario)) { connection in
            var values: [String] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: self.logger) {
                values.append(try row.decode(String.self))
            }
            return values
        }
    }

    /// Opens one connection for `body` and closes it afterwards.
    @discardableResult
    public func withConnection<Result>(to url: DatabaseURL, _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(configuration: url.connectionConfiguration, id: 1, logger: self.logger)
        } catch {
            throw LabError("cannot connect to PostgreSQL at \(url) (\(String(describing: error).prefix(200))). Is it running? Try `./lab db start`.")
        }
        do {
            let result = try await body(connection)
            try? await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }
}
