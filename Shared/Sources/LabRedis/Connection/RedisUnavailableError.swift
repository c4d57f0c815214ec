import HTTPTypes
import Hummingbird
import LabServer

/// Redis cannot serve this request right now: it is down, unreachable, too slow, or the pool has no free
/// connection in time. Answered as `503 Service Unavailable` with a message a learner can act on, like
/// `DatabaseUnavailableError` for PostgreSQL.
///
/// Every failure that means "Redis is not there" surfaces as this one type (a refused connection, a
/// dropped one with commands in flight, a deadline, a pool timeout), so a server needs at most one `catch`.
/// It is a `ServiceUnavailableError`: the router of `LabApplication.makeRouter()` answers it 503 with its
/// message and logs it as one warning line, with no middleware of the scenario's own.
public struct RedisUnavailableError: ServiceUnavailableError, CustomStringConvertible, Sendable {
    public var message: String

    public init(message: String) {
        self.message = message
    }

    /// Connecting failed: nothing listens there, or it refused the credentials.
    static func unreachable(_ configuration: RedisConfiguration, _ error: any Error) -> Self {
        if let unavailable = error as? Self { return unavailable }
        if let refused = error as? RedisServerError, ["WRONGPASS", "NOAUTH", "NOPERM"].contains(refused.code) {
            return Self(message: "Redis at \(configuration) refused the login: \(refused.message) - check username and password")
        }
        return Self(message: "Redis unreachable at \(configuration) - is it running? (`./lab status`) [\(Self.reason(error))]")
    }

    /// The connection closed under commands in flight.
    static func connectionLost(_ configuration: RedisConfiguration, _ error: (any Error)?) -> Self {
        let reason = error.map { " [\(Self.reason($0))]" } ?? ""
        return Self(message: "lost the connection to Redis at \(configuration) - is it running? (`./lab status`)\(reason)")
    }

    /// A command got no reply before its deadline.
    static func timeout(_ configuration: RedisConfiguration, command: String, after: Duration) -> Self {
        Self(
            message: "Redis at \(configuration) did not answer \(command) within \(after) - is it overloaded or "
                + "stopped? (`./lab status`, `redis-cli -p \(configuration.port) --latency`)"
        )
    }

    static func poolTimeout(_ configuration: RedisConfiguration, waited: Duration, size: Int) -> Self {
        Self(
            message: "timed out after \(waited) waiting for a Redis connection (pool of \(size), Redis \(configuration)): "
                + "all connections busy, or Redis is not reachable"
        )
    }

    /// The cause in a few words: NIO's own descriptions of a refused connect run to several lines.
    static func poolShutDown(_ configuration: RedisConfiguration) -> Self {
        Self(message: "the Redis pool for \(configuration) has shut down (the server is stopping)")
    }

    private static func reason(_ error: any Error) -> String {
        if let server = error as? RedisServerError { return server.message }
        let text = String(describing: error)
        if text.contains("Connection refused") { return "connection refused" }
        if text.contains("connectTimeout") || text.contains("ConnectTimeout") { return "connect timed out" }
        if text.contains("Connection reset") { return "connection reset" }
        return text
    }

    /// The HTTP error a handler throws for it: 503 with the message, and a hint to retry in a second.
    public var httpError: HTTPError {
        HTTPError(.serviceUnavailable, headers: [.retryAfter: "1"], message: self.message)
    }

    public var status: HTTPResponse.Status { .serviceUnavailable }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        try self.httpError.response(from: request, context: context)
    }

    public var description: String { self.message }
}
