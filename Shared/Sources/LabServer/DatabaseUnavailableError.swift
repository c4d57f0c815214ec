import Hummingbird
import PostgresNIO
import _ConnectionPoolModule

/// The database cannot serve this request right now. Answered as `503 Service Unavailable` with a message
/// a learner can act on, instead of a bare 500 or a request that hangs.
public struct DatabaseUnavailableError: Error, CustomStringConvertible {
    public var message: String
    /// A request that waited the whole acquire timeout (``DatabasePool``), as opposed to a lost connection:
    /// the database is busy (every connection lent), not known to be gone. Sending the same work to another
    /// database (a replica's read to the primary) would move the overload there.
    public internal(set) var isPoolTimeout = false
    /// The connection to PostgreSQL went away under the request.
    var isConnectionLoss = false
    /// The fast answer during an outage the pool already logged once: not worth a line per request.
    var isKnownOutage = false

    public init(message: String) {
        self.message = message
    }

    init(message: String, isConnectionLoss: Bool) {
        self.message = message
        self.isConnectionLoss = isConnectionLoss
    }

    /// The connection closed under a query that will never answer (PostgreSQL stopped or restarted).
    static var connectionLostMidQuery: Self {
        Self(message: "lost the connection to PostgreSQL in the middle of a query - is it running? (`./lab db status`)", isConnectionLoss: true)
    }

    /// Connecting failed: PostgreSQL is down, on another port, or refusing new connections.
    init(connecting error: any Error, url: DatabaseURL) {
        if let psql = error as? PSQLError, psql.code == .server, let state = psql.serverInfo?[.sqlState] {
            // 53300: too_many_connections (also "remaining connection slots are reserved").
            let text = psql.serverInfo?[.message] ?? "server error \(state)"
            self.message = "PostgreSQL at \(url) refused the connection: \(text)"
        } else {
            self.message = "database unreachable at \(url.host):\(url.port) - is PostgreSQL running? (`./lab db status`)"
        }
    }

    static func poolTimeout(url: DatabaseURL, waited: Duration, size: Int) -> Self {
        var error = Self(
            message: "timed out after \(waited) waiting for a database connection (pool of \(size), "
                + "database \(url.host):\(url.port)): all connections busy, or PostgreSQL is not reachable"
        )
        error.isPoolTimeout = true
        return error
    }

    /// The fast answer while ``DatabasePool`` knows PostgreSQL cannot be used: unreachable, or full.
    static func unusable(url: DatabaseURL, outage: DatabaseHealth.Outage) -> Self {
        let duration = DatabasePool.seconds(ContinuousClock.now - outage.since)
        var error = Self(
            message: outage.isFull
                ? "PostgreSQL at \(url.host):\(url.port) has refused new connections for \(duration) (\(outage.reason)): every connection "
                    + "slot is taken; the server gets going again as soon as one opens"
                : "PostgreSQL at \(url.host):\(url.port) has been unreachable for \(duration) (\(outage.reason)); "
                    + "the server reconnects by itself as soon as it is back"
        )
        error.isKnownOutage = true
        return error
    }

    /// A request arrived while the pool is not running: it was never given to the application's services.
    static func poolNotRunning() -> Self {
        Self(
            message: "the database pool is not running, so it has no connection to lend: pass it to the application's services "
                + "(LabApplication.makeApplication(..., services: [database], ...)), which start it with the server"
        )
    }

    /// Turns errors that mean "the database is gone" into this error; returns nil for anything else
    /// (a SQL mistake stays a 500 so it is not mistaken for an outage).
    static func from(_ error: any Error) -> Self? {
        if let unavailable = error as? Self { return unavailable }
        // postgres-nio's withTransaction wraps what went wrong (BEGIN, the work, COMMIT or ROLLBACK).
        if let transaction = error as? PostgresTransactionError { return Self.errors(in: transaction).lazy.compactMap(Self.from).first }
        if let pool = error as? ConnectionPoolError, pool == .connectionCreationCircuitBreakerTripped {
            // postgres-nio gives up after a minute of failed attempts and then fails requests at once.
            return Self(message: "PostgreSQL has been unreachable for over a minute - is it running? (`./lab db status`)")
        }
        guard let psql = error as? PSQLError else { return nil }
        if let state = Self.shutdownState(psql) {
            // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up).
            let text = (psql.underlying as? PSQLError)?.serverInfo?[.message] ?? psql.serverInfo?[.message] ?? state
            return Self(message: "PostgreSQL is shutting down or starting up: \(text)")
        }
        if psql.code == .server, psql.serverInfo?[.sqlState] == "40001" {
            // serialization_failure: a query PostgreSQL cancelled that would succeed if tried again, such as a
            // replica's "canceling statement due to conflict with recovery". Worth a retry, not a 500.
            let text = psql.serverInfo?[.message] ?? "serialization failure"
            return Self(message: "PostgreSQL cancelled the query (\(text)); trying again may succeed")
        }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed, .clientClosedConnection, .unexpectedBackendMessage:
            // unexpectedBackendMessage: the server went away in the middle of a reply (a replica being stopped).
            return Self(message: "lost the connection to PostgreSQL (\(psql.code)) - is it running? (`./lab db status`)")
        default:
            return nil
        }
    }

    /// Whether `error` means the connection to PostgreSQL is gone (not a busy pool, not our own shutdown).
    static func isConnectionLoss(_ error: any Error) -> Bool {
        if let unavailable = error as? Self { return unavailable.isConnectionLoss }
        if let transaction = error as? PostgresTransactionError { return Self.errors(in: transaction).contains(where: Self.isConnectionLoss) }
        if let pool = error as? ConnectionPoolError { return pool == .connectionCreationCircuitBreakerTripped }
        guard let psql = error as? PSQLError else { return false }
        if Self.shutdownState(psql) != nil { return true }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .clientClosedConnection: return true
        default: return false
        }
    }

    /// The errors a failed transaction carries, the first cause first.
    static func errors(in transaction: PostgresTransactionError) -> [any Error] {
        [transaction.beginError, transaction.closureError, transaction.commitError, transaction.rollbackError].compactMap { $0 }
    }

    /// The `57P0x` state of a shutdown error, also when postgres-nio wraps it in `clientClosedConnection`.
    private static func shutdownState(_ psql: PSQLError) -> String? {
        for candidate in [psql, psql.underlying as? PSQLError].compactMap({ $0 }) {
            if candidate.code == .server, let state = candidate.serverInfo?[.sqlState], state.hasPrefix("57P") { return state }
        }
        return nil
    }

    /// The HTTP error a handler throws for it: 503 with the message, and a hint to retry in a second.
    public var httpError: HTTPError {
        HTTPError(.serviceUnavailable, headers: [.retryAfter: "1"], message: self.message)
    }

    public var description: String { self.message }
}

/// PostgreSQL rejected a value the request carried: a NUL byte in a text, a number out of range, a date that
/// does not exist (SQLSTATE class 22, "data exception"), or a row that points at nothing (23503). The
/// request is wrong, not the server: 400 with PostgreSQL's own words, and nothing was stored.
struct DatabaseInputError: Error {
    var message: String

    static func from(_ error: any Error) -> Self? {
        if let transaction = error as? PostgresTransactionError {
            return DatabaseUnavailableError.errors(in: transaction).lazy.compactMap(Self.from).first
        }
        guard let psql = error as? PSQLError, psql.code == .server, let state = psql.serverInfo?[.sqlState] else { return nil }
        guard state.hasPrefix("22") || state == "23503" else { return nil }
        return Self(message: "the database rejected a value of this request: \(psql.serverInfo?[.message] ?? state)")
    }

    var httpError: HTTPError { HTTPError(.badRequest, message: self.message) }
}
