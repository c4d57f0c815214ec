import Prometheus
import Synchronization

/// Whether a ``DatabasePool`` can reach PostgreSQL, as far as its requests can tell.
///
/// While PostgreSQL is unreachable, waiting for a connection only makes every user wait the whole acquire
/// timeout for the same 503. Knowing it is down lets the pool answer at once (a circuit breaker), and
/// `db_reachable` shows the outage on the dashboard.
final class DatabaseHealth: Sendable {
    /// Since when PostgreSQL cannot be used, and the latest reason.
    struct Outage: Sendable {
        var since: ContinuousClock.Instant
        var reason: String
        /// PostgreSQL answers, but refuses new connections: every slot of `max_connections` is taken (53300).
        /// Not "unreachable": the pool itself may hold most of the slots.
        var isFull = false
    }

    private let state = Mutex<Outage?>(nil)
    private let metrics: DatabaseMetrics

    init(metrics: DatabaseMetrics) {
        self.metrics = metrics
        metrics.reachable.set(Double(1))
    }

    /// The outage under way, or nil while PostgreSQL is reachable.
    var outage: Outage? { self.state.withLock { $0 } }

    /// Records that PostgreSQL is unreachable. True only for the report that starts the outage.
    func markDown(reason: String) -> Bool {
        let started = self.state.withLock { outage in
            guard outage == nil else { return false }
            outage = Outage(since: .now, reason: reason)
            return true
        }
        if started { self.metrics.reachable.set(Double(0)) }
        return started
    }

    /// Keeps the outage's reason current (PostgreSQL restarting, then refusing, then gone...). Returns true
    /// when PostgreSQL has just turned out to be full (worth one line in the log).
    func update(reason: String, isFull: Bool) -> Bool {
        self.state.withLock { outage in
            let becameFull = isFull && outage?.isFull == false
            outage?.reason = reason
            outage?.isFull = isFull
            return becameFull
        }
    }

    /// Records that PostgreSQL answers again; returns how long it was unreachable (nil if it was not).
    func markUp() -> Duration? {
        let outage = self.state.withLock { outage in
            defer { outage = nil }
            return outage
        }
        self.metrics.reachable.set(Double(1))
        return outage.map { ContinuousClock.now - $0.since }
    }
}
