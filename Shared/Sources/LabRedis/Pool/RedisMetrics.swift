import LabServer
import Prometheus
import Synchronization

/// The Redis metrics a learner reads next to the HTTP and database ones: commands by name and how long
/// they take, errors by kind, and the pool (connections open and in use, requests waiting for one).
///
/// Registered once per process in the shared registry (`LabMetrics.registry`), like `DatabaseMetrics`:
/// swift-prometheus `fatalError`s on a name registered twice with different help or buckets, so every
/// Redis family is made here and nowhere else.
final class RedisMetrics: Sendable {
    static let shared = RedisMetrics(registry: LabMetrics.registry)

    /// From 50 µs to 10 s: a Redis command on loopback takes 50-500 µs, so the 1 ms floor of the HTTP
    /// buckets would hide everything that matters.
    static let durationBuckets: [Duration] = [
        .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1),
        .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .microseconds(2_500_000),
        .seconds(5), .seconds(10),
    ]

    let registry: PrometheusCollectorRegistry
    let connectionsInUse: Gauge
    let connectionsOpen: Gauge
    let poolSize: Gauge
    let requestsWaiting: Gauge
    let waitDuration: DurationHistogram
    let acquireTimeouts: Counter
    let connectionsOpened: Counter
    /// One counter and one histogram per command name, made on first use and kept (the registry's own
    /// lookup takes a lock and builds a key per call; this is one dictionary read).
    private let perCommand = Mutex<[String: CommandSeries]>([:])

    struct CommandSeries: Sendable {
        let count: Counter
        let duration: DurationHistogram
    }

    init(registry: PrometheusCollectorRegistry) {
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(descriptor: .init(metricName: name, unitName: "", helpText: help))
        }
        func counter(_ name: String, _ help: String) -> Counter {
            registry.makeCounter(descriptor: .init(metricName: name, unitName: "total", helpText: help))
        }
        self.registry = registry
        self.connectionsInUse = gauge("redis_pool_connections_in_use", "Redis connections currently lent to a caller by the pool.")
        self.connectionsOpen = gauge(
            "redis_pool_connections_open",
            "Redis connections the pool has open right now (fewer than the pool size while Redis is down)."
        )
        self.poolSize = gauge("redis_pool_max_connections", "The size of the Redis pools (connections they keep open when Redis is up).")
        self.requestsWaiting = gauge(
            "redis_pool_requests_waiting",
            "Callers queued for a Redis connection because all pooled connections are busy."
        )
        self.waitDuration = registry.makeDurationHistogram(
            descriptor: .init(metricName: "redis_pool_wait", unitName: "seconds", helpText: "How long callers waited for a Redis connection."),
            buckets: Self.durationBuckets
        )
        self.acquireTimeouts = counter("redis_pool_acquire_timeouts", "Callers that gave up waiting for a Redis connection.")
        self.connectionsOpened = counter(
            "redis_connections_opened",
            "Connections opened to Redis (pooled, dedicated and subscriber; reconnections included)."
        )
    }

    /// Counts one command and its duration (`redis_commands_total{command}`,
    /// `redis_command_duration_seconds{command}`), and its failure if it failed.
    func record(command: String, duration: Duration, error: (any Error)?) {
        let series = self.series(for: command)
        series.count.increment()
        series.duration.record(duration)
        if let error, let kind = Self.kind(of: error) { self.recordError(command: command, kind: kind) }
    }

    /// `redis_errors_total{command,kind}`: kind is `server` (Redis refused it), `unavailable` (down, dropped,
    /// timed out), `protocol` (a malformed reply) or `client` (misuse). Cancelled callers are not errors.
    func recordError(command: String, kind: String) {
        self.registry.makeCounter(
            descriptor: .init(
                metricName: "redis_errors",
                unitName: "total",
                helpText: "Redis commands that failed, by command and kind (server, unavailable, protocol, client)."
            ),
            labels: [("command", command), ("kind", kind)]
        ).increment()
    }

    static func kind(of error: any Error) -> String? {
        switch error {
        case is CancellationError: return nil
        case is RedisServerError: return "server"
        case is RedisUnavailableError: return "unavailable"
        case is RedisProtocolError: return "protocol"
        default: return "client"
        }
    }

    private func series(for command: String) -> CommandSeries {
        if let series = self.perCommand.withLock({ $0[command] }) { return series }
        let series = CommandSeries(
            count: self.registry.makeCounter(
                descriptor: .init(metricName: "redis_commands", unitName: "total", helpText: "Redis commands sent, by command name."),
                labels: [("command", command)]
            ),
            duration: self.registry.makeDurationHistogram(
                descriptor: .init(
                    metricName: "redis_command_duration",
                    unitName: "seconds",
                    helpText: "How long Redis commands took, from sending to the reply, network round trip included."
                ),
                labels: [("command", command)],
                buckets: Self.durationBuckets
            )
        )
        self.perCommand.withLock { $0[command] = series }
        return series
    }
}
