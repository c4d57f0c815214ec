import Logging
import PostgresNIO
import Prometheus
import Synchronization

/// Opens a brand-new PostgreSQL connection for every call and closes it afterwards: what a naive server does.
///
/// Each connection costs a TCP handshake, a password exchange and a new PostgreSQL server process (a `fork`),
/// so under load most of the time goes into connecting rather than querying. Scenario 01's naive server uses
/// this so the learner can see it in `db_connections_opened_total`; the fixed server uses ``DatabasePool``.
/// Instrumented like the pool, so the same dashboard panels work for both.
public struct NewConnectionPerRequest: Sendable {
    public let url: DatabaseURL
    let logger: Logger
    let metrics: DatabaseMetrics
    private static let nextID = Atomic<Int>(1)

    public init(url: DatabaseURL, logger: Logger) {
        self.url = url
        self.logger = logger
        self.metrics = .shared
        self.metrics.poolSize.set(Double(0))
        self.metrics.reachable.set(Double(1))  // not tracked: each request connects (or fails) on its own
    }

    /// Connects, runs `body`, and closes the connection on success and on error alike.
    /// - Throws: ``DatabaseUnavailableError`` when PostgreSQL cannot be reached; otherwise whatever `body` throws.
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let id = Self.nextID.add(1, ordering: .relaxed).oldValue
        let connection: PostgresConnection
        do {
            connection = try await PostgresConnection.connect(
                configuration: self.url.connectionConfiguration,
                id: id,
                logger: self.logger
            )
        } catch {
            throw DatabaseUnavailableError(connecting: error, url: self.url)
        }
        self.metrics.connectionOpened(kind: "per_request")
        // Counted in use while the work runs; answered with a 503 if PostgreSQL closes the connection under it.
        let metrics = self.metrics
        // Used once, so its queries are not prepared (``NamedStatement``): that would only add a round trip.
        return try await NamedStatement.$connectionIsReused.withValue(false) {
            try await connection.closing { connection in try await Borrow.run(on: connection, metrics: metrics, body) }
        }
    }
}
