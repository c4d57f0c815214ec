import Foundation
import LabServer
import Logging
import ServiceLifecycle
import Synchronization

/// FIX (a health check that lies): whether this instance can do its job right now, for `GET /ready`.
///
/// `/health` answers "ok" as long as the process runs: it says the instance is alive, not that it can serve.
/// An instance that lost its database is alive and fails every request, and a balancer that asks `/health`
/// keeps sending it a share of the traffic. `/ready` asks the real question: can this instance reach its
/// database, and is it not shutting down?
///
/// It must not become a load of its own: HAProxy asks every half second, and in production several balancers
/// ask each instance. So the database's answer is kept for one second. But once a real request has found the
/// database gone, the pool knows it (it answers every request with a 503 at once until PostgreSQL is back), and
/// the check says "not ready" straight away, without waiting for the second to pass or asking PostgreSQL.
final class Readiness: Sendable {
    let database: DatabasePool
    /// Set once SIGTERM arrived: from then on, the instance is leaving.
    private let draining = Atomic<Bool>(false)
    /// The last database answer and when it was asked.
    private let lastCheck = Mutex<(at: ContinuousClock.Instant, ok: Bool)?>(nil)

    init(database: DatabasePool) {
        self.database = database
    }

    func startDraining() {
        self.draining.store(true, ordering: .relaxed)
    }

    /// nil when ready, otherwise why not (the body of the 503).
    func problem() async -> String? {
        if self.draining.load(ordering: .relaxed) { return "shutting down: finishing the requests in flight" }
        if self.database.knowsDatabaseIsUnusable { return "cannot reach the database" }
        let now = ContinuousClock.now
        if let last = self.lastCheck.withLock({ $0 }), now - last.at < .seconds(1) {
            return last.ok ? nil : "cannot reach the database"
        }
        let ok: Bool
        do {
            _ = try await self.database.withConnection { connection in
                try await connection.query(named: "ready", "SELECT 1")
            }
            ok = true
        } catch {
            ok = false
        }
        self.lastCheck.withLock { $0 = (now, ok) }
        return ok ? nil : "cannot reach the database"
    }
}

/// FIX (deploys drop requests): the first thing to happen on SIGTERM. The instance says it is not ready and
/// keeps serving for `seconds`, while HAProxy's checks (every 0.5 s, 2 failures) take it out of rotation; only
/// then may the server stop accepting. Stopping first would refuse the requests HAProxy still sends.
struct DrainBeforeShutdown: Service {
    let readiness: Readiness
    let seconds: Int
    let logger: Logger

    func run() async throws {
        // Sleeps until the ServiceGroup asks this service to shut down (SIGTERM).
        try? await gracefulShutdown()
        self.readiness.startDraining()
        self.logger.notice("SIGTERM: /ready answers 503 now; serving \(self.seconds) s more while the load balancer takes this instance out")
        try? await Task.sleep(for: .seconds(self.seconds))
    }
}
