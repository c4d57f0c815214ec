import Prometheus
import Synchronization

/// The database metrics a learner reads to see connection trouble: how many pooled connections are busy,
/// how many requests queue for one and for how long, how many connections get opened, and how long each
/// named query takes.
final class DatabaseMetrics: Sendable {
    static let shared = DatabaseMetrics(registry: LabMetrics.registry)

    let connectionsInUse: Gauge
    let poolSize: Gauge
    /// How long a request may wait for a connection: the load report compares the waits with it.
    let acquireTimeout: Gauge
    let requestsWaiting: Gauge
    let waitDuration: DurationHistogram
    /// How long each request kept its connection: with the wait, the number for sizing a pool
    /// (connections needed ≈ requests per second × seconds each one holds a connection).
    let holdDuration: DurationHistogram
    let acquireTimeouts: Counter
    /// Requests answered 503 at once, without waiting, while the pool knows PostgreSQL cannot be used.
    let refusedAtOnce: Counter
    /// 1 while the pool can reach PostgreSQL, 0 while it answers 503 at once because it cannot.
    let reachable: Gauge
    /// Connection ids the pool has handed out; a new id means the pool opened a new connection.
    private let seenPoolConnections = Mutex<Set<Int>>([])
    /// `db_query_duration_seconds` by query name (names are written in the servers' code: bounded).
    private let queryDurations: MetricHandles<String, DurationHistogram>
    /// `db_connections_opened_total` by kind (`pool`, `per_request`: once per request for a naive server).
    private let connectionsOpened: MetricHandles<String, Counter>

    init(registry: PrometheusCollectorRegistry) {
        self.connectionsOpened = MetricHandles { kind in
            registry.makeCounter(
                descriptor: .init(
                    metricName: "db_connections_opened",
                    unitName: "total",
                    helpText: "Connections opened to PostgreSQL (each one costs a TCP handshake, a login and a new server process)."
                ),
                labels: [("kind", kind)]
            )
        }
        self.queryDurations = MetricHandles { name in
            registry.makeDurationHistogram(
                descriptor: .init(
                    metricName: "db_query_duration",
                    unitName: "seconds",
                    helpText: "How long each named query took inside PostgreSQL, network round trip included."
                ),
                labels: [("query", name)],
                buckets: LabMetrics.latencyBuckets
            )
        }
        self.connectionsInUse = registry.makeGauge(
            descriptor: .init(
                metricName: "db_pool_connections_in_use",
                unitName: "",
                helpText: "Database connections currently checked out by a request (per-request connections included)."
            )
        )
        self.poolSize = registry.makeGauge(
            descriptor: .init(
                metricName: "db_pool_max_connections",
                unitName: "",
                helpText: "The most connections the pools may open, all running pools together (0 when the server opens one per request)."
            )
        )
        self.acquireTimeout = registry.makeGauge(
            descriptor: .init(
                metricName: "db_pool_acquire_timeout_seconds",
                unitName: "",
                helpText: "How long a request may wait for a pooled connection before it gets a 503."
            )
        )
        self.requestsWaiting = registry.makeGauge(
            descriptor: .init(
                metricName: "db_pool_requests_waiting",
                unitName: "",
                helpText: "Requests queued for a database connection because all pooled connections are busy."
            )
        )
        self.waitDuration = registry.makeDurationHistogram(
            descriptor: .init(
                metricName: "db_pool_wait",
                unitName: "seconds",
                helpText: "How long requests waited to get a database connection."
            ),
            buckets: LabMetrics.latencyBuckets
        )
        self.holdDuration = registry.makeDurationHistogram(
            descriptor: .init(
                metricName: "db_pool_connection_hold",
                unitName: "seconds",
                helpText: "How long requests kept a pooled connection before giving it back (queries and anything else done meanwhile)."
            ),
            buckets: LabMetrics.latencyBuckets
        )
        self.reachable = registry.makeGauge(
            descriptor: .init(
                metricName: "db_reachable",
                unitName: "",
                helpText: "1 while the server's pool can reach PostgreSQL; 0 while it answers 503 at once because it cannot."
            )
        )
        self.acquireTimeouts = registry.makeCounter(
            descriptor: .init(
                metricName: "db_pool_acquire_timeouts",
                unitName: "total",
                helpText: "Requests that gave up waiting for a database connection."
            )
        )
        self.refusedAtOnce = registry.makeCounter(
            descriptor: .init(
                metricName: "db_pool_refused_at_once",
                unitName: "total",
                helpText:
                    "Requests answered 503 at once, without waiting, because the pool knows PostgreSQL cannot be used (down, or refusing new connections)."
            )
        )
    }

    /// Counts one newly opened connection. `kind` is `pool` or `per_request`.
    func connectionOpened(kind: String) {
        self.connectionsOpened[kind].increment()
    }

    /// Called each time the pool lends a connection: counts it as opened the first time its id is seen.
    func poolLent(connectionID: Int) {
        let isNew = self.seenPoolConnections.withLock { $0.insert(connectionID).inserted }
        if isNew { self.connectionOpened(kind: "pool") }
    }

    /// Records how long one named query took (`db_query_duration_seconds{query="..."}`).
    func recordQuery(name: String, duration: Duration) {
        self.queryDurations[name].record(duration)
    }
}
