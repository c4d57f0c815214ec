import Hummingbird
import PostgresNIO

/// The database cannot serve this request right now. Answered as `503 Service Unavailable` with a message
/// a learner can act on, instead of a bare 500 or a request that hangs.
public struct DatabaseUnavailableError: Error, CustomStringConvertible {
    public var message: String

    public init(message: String) {
        self.message = message
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
        Self(
            message: "timed out after \(waited) waiting for a database connection (pool of \(size), "
                + "database \(url.host):\(url.port)): all connections busy, or PostgreSQL is not reachable"
        )
    }

    /// Turns errors that mean "the database is gone" into this error; returns nil for anything else
    /// (a SQL mistake stays a 500 so it is not mistaken for an outage).
    static func from(_ error: any Error) -> Self? {
        if let unavailable = error as? Self { return unavailable }
        guard let psql = error as? PSQLError else { return nil }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed:
            return Self(message: "lost the connection to PostgreSQL (\(psql.code)) - is it running? (`./lab db status`)")
        case .server where psql.serverInfo?[.sqlState]?.hasPrefix("57P") == true:
            // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up).
            return Self(message: "PostgreSQL is shutting down or starting up: \(psql.serverInfo?[.message] ?? "")")
        default:
            return nil
        }
    }

    /// The HTTP error a handler throws for it: 503 with the message, and a hint to retry in a second.
    public var httpError: HTTPError {
        HTTPError(.serviceUnavailable, headers: [.retryAfter: "1"], message: self.message)
    }

    public var description: String { self.message }
}

/// Maps "the database is gone" errors thrown by handlers to ``DatabaseUnavailableError`` (503).
/// The server keeps running and recovers by itself: the pool reconnects, per-request connections simply
/// succeed again once PostgreSQL is back.
public struct DatabaseErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            if let unavailable = DatabaseUnavailableError.from(error) {
                context.logger.warning("\(unavailable.message)")
                throw unavailable.httpError
            }
            // A cancelled request (the server is shutting down) is not a bug worth an error line.
            if !(error is any HTTPResponseError) && !(error is CancellationError) {
                context.logger.error("request failed: \(String(reflecting: error))")
            }
            throw error
        }
    }
}
