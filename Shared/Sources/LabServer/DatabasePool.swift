import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Synchronization

/// A pool of PostgreSQL connections opened once and shared by all requests (postgres-nio's
/// `PostgresClient`), instrumented so a learner can watch it, and bounded so a request never waits forever.
///
/// postgres-nio offers neither a pool-metrics hook nor an acquire timeout, so this wrapper adds both around
/// `withConnection`: it records requests waiting, connections in use, time waited and connections opened, and
/// gives up after ``acquireTimeout`` with ``DatabaseUnavailableError`` (a 503, not a hung request).
///
/// Add it to the application's services (``LabApplication`` does): the pool only connects while it runs,
/// and closes its connections on graceful shutdown after the HTTP server has finished its requests.
public final class DatabasePool: Service, Sendable {
    public let url: DatabaseURL
    public let size: Int
    /// How long a request may wait for a free connection before it fails. A failure boundary (a request
    /// should not hang for ever when the database is gone), not a performance knob.
    public let acquireTimeout: Duration
    let client: PostgresClient
    let metrics: DatabaseMetrics

    /// - Parameters:
    ///   - url: where the database is.
    ///   - size: the most connections this pool opens.
    ///   - acquireTimeout: how long a request may wait for a connection before it gets a 503.
    ///   - openAllAtStart: keep all `size` connections open from the start (a fixed-size pool) instead of
    ///     opening them as requests need them. A pool too big for the database then fails at start-up, not
    ///     in the middle of a traffic peak.
    ///   - logger: where postgres-nio logs connection trouble.
    public init(url: DatabaseURL, size: Int, acquireTimeout: Duration = .seconds(5), openAllAtStart: Bool = false, logger: Logger) {
        precondition(size > 0, "a pool needs at least one connection")
        self.url = url
        self.size = size
        self.acquireTimeout = acquireTimeout
        var configuration = url.clientConfiguration(size: size)
        if openAllAtStart { configuration.options.minimumConnections = size }
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.metrics = .shared
        self.metrics.poolSize.set(Double(size))
    }

    public func run() async {
        await self.client.run()
    }

    /// Borrows a connection for `body` and gives it back afterwards, even if `body` throws.
    /// - Throws: ``DatabaseUnavailableError`` when no connection was free within ``acquireTimeout``
    ///   (all busy, or the database is unreachable); otherwise whatever `body` throws.
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let ticket = WaitTicket(metrics: self.metrics)
        let timeout = self.acquireTimeout
        return try await withThrowingTaskGroup(of: Outcome<Result>.self) { group in
            group.addTask {
                do {
                    return .finished(
                        try await self.client.withConnection { connection in
                            // The timer gave up first: fail with the same 503 it does (whichever of the two
                            // errors the group sees first, the request gets "timed out waiting", never a 500).
                            guard ticket.acquire() else {
                                throw DatabaseUnavailableError.poolTimeout(url: self.url, waited: timeout, size: self.size)
                            }
                            self.metrics.poolLent(connectionID: connection.id)
                            self.metrics.connectionsInUse.increment()
                            let lent = ContinuousClock.now
                            defer {
                                self.metrics.connectionsInUse.decrement()
                                self.metrics.holdDuration.record(ContinuousClock.now - lent)
                            }
                            return try await body(connection)
                        }
                    )
                } catch {
                    ticket.abandon()
                    throw error
                }
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                guard ticket.giveUp() else { return .timerExpiredAfterAcquire }
                throw DatabaseUnavailableError.poolTimeout(url: self.url, waited: timeout, size: self.size)
            }
            while let outcome = try await group.next() {
                if case .finished(let result) = outcome {
                    group.cancelAll()
                    return result
                }
            }
            preconditionFailure("the work task always finishes or throws")
        }
    }

    private enum Outcome<Value: Sendable>: Sendable {
        case finished(Value)
        case timerExpiredAfterAcquire
    }
}

/// One request's place in the queue for a connection. Exactly one of acquire / give up / abandon wins, so the
/// "requests waiting" gauge goes down exactly once and the wait is recorded exactly once.
private final class WaitTicket: Sendable {
    private enum State { case waiting, acquired, done }
    private let state = Mutex(State.waiting)
    private let start = ContinuousClock.now
    private let metrics: DatabaseMetrics

    init(metrics: DatabaseMetrics) {
        self.metrics = metrics
        metrics.requestsWaiting.increment()
    }

    /// The pool handed us a connection. False if we already gave up (the connection goes straight back).
    func acquire() -> Bool {
        guard self.leaveQueue(to: .acquired) else { return false }
        self.metrics.waitDuration.record(ContinuousClock.now - self.start)
        return true
    }

    /// The acquire timeout expired. True if we were still waiting, so the request must fail.
    func giveUp() -> Bool {
        guard self.leaveQueue(to: .done) else { return false }
        self.metrics.waitDuration.record(ContinuousClock.now - self.start)
        self.metrics.acquireTimeouts.increment()
        return true
    }

    /// The pool failed before lending a connection (for example it is shutting down).
    func abandon() {
        _ = self.leaveQueue(to: .done)
    }

    private func leaveQueue(to next: State) -> Bool {
        let left = self.state.withLock { state in
            guard state == .waiting else { return false }
            state = next
            return true
        }
        if left { self.metrics.requestsWaiting.decrement() }
        return left
    }
}
