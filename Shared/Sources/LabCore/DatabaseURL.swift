import Foundation
import PostgresNIO

/// Where the database is, parsed from a `postgres://user:password@host:port/database` URL.
///
/// One URL (the `DATABASE_URL` convention of Heroku, Render, Docker images...) rather than five settings:
/// the native runner and Docker Compose each set it once and every scenario reads it the same way.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String

    public init(host: String, port: Int = 5432, username: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    /// Parses a URL such as `postgres://lab:lab@127.0.0.1:54329/scenario_01`.
    /// - Throws: ``DatabaseURLError`` naming what is wrong, so a typo in `DATABASE_URL` is easy to fix.
    public init(_ string: String) throws {
        guard let components = URLComponents(string: string), let scheme = components.scheme else {
            throw DatabaseURLError(url: string, problem: "it is not a URL")
        }
        guard scheme == "postgres" || scheme == "postgresql" else {
            throw DatabaseURLError(url: string, problem: "it must start with postgres://")
        }
        guard let host = components.host, !host.isEmpty else {
            throw DatabaseURLError(url: string, problem: "it names no host")
        }
        guard let user = components.user, !user.isEmpty else {
            throw DatabaseURLError(url: string, problem: "it names no user (postgres://USER:PASSWORD@host:port/database)")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else {
            throw DatabaseURLError(url: string, problem: "it names no database after the port (.../DATABASE)")
        }
        self.init(
            host: host,
            port: components.port ?? 5432,
            username: user.removingPercentEncoding ?? user,
            password: components.password.map { $0.removingPercentEncoding ?? $0 },
            database: database
        )
    }

    /// The URL without its password, safe to print in logs and error messages.
    public var description: String {
        "postgres://\(self.username)@\(self.host):\(self.port)/\(self.database)"
    }

    /// Settings for one `PostgresConnection`. TLS is off: the lab database is on loopback or a Compose network.
    public var connectionConfiguration: PostgresConnection.Configuration {
        PostgresConnection.Configuration(
            host: self.host,
            port: self.port,
            username: self.username,
            password: self.password,
            database: self.database,
            tls: .disable
        )
    }

    /// Settings for a `PostgresClient` pool of `size` connections.
    ///
    /// `plan_cache_mode = force_custom_plan`: the lab servers prepare each statement once per connection, and
    /// PostgreSQL still plans every run with its real values, so the plan a server runs is the one a learner
    /// sees with `EXPLAIN ANALYZE` and those values (see `NamedStatement` in LabServer).
    public func clientConfiguration(size: Int) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: self.host,
            port: self.port,
            username: self.username,
            password: self.password,
            database: self.database,
            tls: .disable
        )
        configuration.options.maximumConnections = size
        configuration.options.additionalStartupParameters = [("plan_cache_mode", "force_custom_plan")]
        return configuration
    }
}

/// A `DATABASE_URL` that cannot be used, with the reason.
public struct DatabaseURLError: Error, CustomStringConvertible {
    public var url: String
    public var problem: String
    public var description: String {
        "DATABASE_URL '\(self.url)' cannot be used: \(self.problem). Example: postgres://lab:lab@127.0.0.1:54329/scenario_01"
    }
}
