import Configuration
import Foundation
import Logging
import NIOCore

@_exported import struct LabCore.DatabaseURL
@_exported import struct LabCore.DatabaseURLError

/// Where a lab server listens and which database it uses, read in one place with swift-configuration.
///
/// Sources, first match wins: the command line (`--http-port 8081`), then the environment (`HTTP_PORT=8081`,
/// `DATABASE_URL=postgres://...`), then the defaults, which match the native runner's private PostgreSQL
/// (see `./lab db status`). The keys are the same in every scenario: `http.host`, `http.port`,
/// `database.url`, `log.level`, `redis.url` and `replica.database.url` where a scenario has them, the optional pool overrides `database.pool.size`
/// (`DATABASE_POOL_SIZE`) and `database.pool.timeout.ms` (`DATABASE_POOL_TIMEOUT_MS`), and `instance.name`
/// (`INSTANCE_NAME`) where several instances of one server run behind a load balancer.
public struct LabServerConfiguration: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var databaseURL: DatabaseURL
    public var logLevel: Logger.Level
    /// `DATABASE_POOL_SIZE`: replaces the pool size written in the server's code, when set. Real services read
    /// it from configuration too, so it can change per environment without a rebuild.
    public var poolSize: Int?
    /// `DATABASE_POOL_TIMEOUT_MS`: replaces the pool's acquire timeout written in the code, when set.
    public var poolTimeout: Duration?
    /// `INSTANCE_NAME`: which instance this is (`a`, `b`...) when several run behind a load balancer; nil when
    /// the server runs alone. Named in every answer (`X-Instance`) and every log line.
    public var instanceName: String?
    /// `REDIS_URL` (`redis://127.0.0.1:63790`): the scenario's Redis, set by the lab when the scenario has one;
    /// nil otherwise. A URL, parsed by LabRedis's `RedisConfiguration(url:)`, so this module needs no Redis client.
    public var redisURL: String?
    /// `REPLICA_DATABASE_URL`: the scenario's streaming replica of the database (read-only), set by the lab when
    /// the scenario has one; nil otherwise.
    public var replicaDatabaseURL: DatabaseURL?

    /// The native runner's PostgreSQL: loopback, port 54329, role `lab`, one database per scenario.
    public static func defaultDatabaseURL(database: String) -> String {
        "postgres://lab:lab@127.0.0.1:54329/\(database)"
    }

    /// Reads the configuration from `reader`.
    /// - Parameter defaultDatabase: the scenario's database name, used when `database.url` is not set.
    /// - Throws: ``ConfigurationError`` naming the key and the bad value.
    public init(reader: ConfigReader, defaultDatabase: String) throws {
        self.host = reader.string(forKey: "http.host", default: "127.0.0.1")
        let portText = reader.string(forKey: "http.port", default: "8080")
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw ConfigurationError(key: "http.port", value: portText, expected: "a port number from 1 to 65535")
        }
        self.port = port
        let urlText = reader.string(forKey: "database.url", default: Self.defaultDatabaseURL(database: defaultDatabase))
        self.databaseURL = try DatabaseURL(urlText)
        let levelText = reader.string(forKey: "log.level", default: "info")
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw ConfigurationError(
                key: "log.level",
                value: levelText,
                expected: Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        self.logLevel = level
        self.poolSize = try Self.positiveInt(reader, key: "database.pool.size", expected: "a number of connections from 1 to 10000")
        self.poolTimeout = try Self.positiveInt(reader, key: "database.pool.timeout.ms", expected: "milliseconds from 1 to 10000000")
            .map { .milliseconds($0) }
        self.redisURL = reader.string(forKey: "redis.url")
        self.replicaDatabaseURL = try reader.string(forKey: "replica.database.url").map { try DatabaseURL($0) }
        if let name = reader.string(forKey: "instance.name") {
            guard !name.isEmpty, name.count <= 20, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) else {
                throw ConfigurationError(key: "instance.name", value: name, expected: "a short name of letters, digits and -")
            }
            self.instanceName = name
        }
    }

    /// A logger for the server's own messages: at the configured level, and naming the instance when several
    /// run (`instance=a`), so interleaved lines from two instances can be told apart.
    public func makeLogger(label: String) -> Logger {
        var logger = Logger(label: label)
        logger.logLevel = self.logLevel
        if let instance = self.instanceName { logger[metadataKey: "instance"] = "\(instance)" }
        return logger
    }

    private static func positiveInt(_ reader: ConfigReader, key: String, expected: String) throws -> Int? {
        guard let text = reader.string(forKey: ConfigKey(key)) else { return nil }
        guard let value = Int(text), value > 0, value <= (key.hasSuffix(".ms") ? 10_000_000 : 10_000) else {
            throw ConfigurationError(key: key, value: text, expected: expected)
        }
        return value
    }

    /// ``load(defaultDatabase:arguments:environment:)``, or, when the configuration cannot be used, a one-line
    /// error on standard error and exit status 2: a typo in `DATABASE_URL` deserves a sentence, not a crash
    /// report and a backtrace.
    public static func loadOrExit(defaultDatabase: String) -> Self {
        Self.sizeEventLoopsForALabMachine()
        do {
            return try Self.load(defaultDatabase: defaultDatabase)
        } catch {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            exit(2)
        }
    }

    /// One SwiftNIO event loop per two cores, instead of SwiftNIO's one per core.
    ///
    /// A lab machine runs the server, PostgreSQL and the load generator on the same few cores (2 in a
    /// Codespace). With a loop per core, the HTTP connections and the database connections of one request sit
    /// on different loops, and every hop between them wakes another thread. Measured on scenario 01's
    /// `server-fixed` on 2 cores (Shared/bench/server-vs-pgbench-and-express.sh, 3 interleaved rounds): one
    /// loop instead of two spends 81 µs of server CPU per request instead of 99, at 9% more requests per second.
    /// Must run before anything uses `NIOSingletons` (the pool and the server do), hence here, first in `main`.
    static func sizeEventLoopsForALabMachine() {
        NIOSingletons.groupLoopCountSuggestion = max(1, System.coreCount / 2)
    }

    /// Reads the command line and the environment of this process.
    public static func load(
        defaultDatabase: String,
        arguments: [String] = CommandLine.arguments,
        environment: [String: String]? = nil
    ) throws -> Self {
        let environmentProvider: EnvironmentVariablesProvider =
            if let environment { EnvironmentVariablesProvider(environmentVariables: environment) } else { EnvironmentVariablesProvider() }
        let reader = ConfigReader(providers: [CommandLineArgumentsProvider(arguments: arguments), environmentProvider])
        return try Self(reader: reader, defaultDatabase: defaultDatabase)
    }
}

/// A configuration value that cannot be used.
public struct ConfigurationError: Error, CustomStringConvertible {
    public var key: String
    public var value: String
    public var expected: String
    public var description: String {
        "configuration '\(self.key)' is '\(self.value)', expected \(self.expected)"
    }
}
