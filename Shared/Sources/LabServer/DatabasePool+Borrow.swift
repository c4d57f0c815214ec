import PostgresNIO
import Prometheus
import Synchronization

extension DatabasePool {
    /// The request waits for a connection of `client` (at most ``acquireTimeout``), then runs `body` with it.
    ///
    /// The work runs in a task of its own, and the request waits for whichever comes first: the work's
    /// result, the acquire timeout, the connection closing under a query that will never answer, or the
    /// request being cancelled. The third is a workaround: postgres-nio 1.33.2 writes a query to its
    /// channel without a promise (`PostgresConnection.query`), so a query sent on a connection that closed
    /// a moment before (PostgreSQL restarting) fails inside NIO with nobody told, and its caller waits for
    /// ever, holding the request and the pool's count of connections in use.
    func borrow<Result: Sendable>(
        from client: PostgresClient,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let ticket = WaitTicket(metrics: self.metrics)
        let borrow = Borrow<Result>(metrics: self.metrics, inUse: self.inUseCount)
        let url = self.url
        let size = self.size
        let timeout = self.acquireTimeout
        let metrics = self.metrics
        let lends = self.lends
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                borrow.wait(continuation)
                let work = Task {
                    do {
                        let result = try await client.withConnection { connection in
                            // The timeout gave up first: fail with the same 503 it does (whichever of the two
                            // errors the caller sees, the request gets "timed out waiting", never a 500).
                            guard ticket.acquire() else {
                                throw DatabaseUnavailableError.poolTimeout(url: url, waited: timeout, size: size)
                            }
                            metrics.poolLent(connectionID: connection.id)
                            lends.value.add(1, ordering: .relaxed)
                            borrow.lent(connection)
                            return try await body(connection)
                        }
                        borrow.finish(.success(result))
                    } catch {
                        ticket.abandon()
                        borrow.finish(.failure(error))
                    }
                }
                borrow.watch(work: work, firstCheckIn: timeout) { connection in
                    if connection == nil, ticket.giveUp() {
                        return DatabaseUnavailableError.poolTimeout(url: url, waited: timeout, size: size)
                    }
                    if let connection, connection.isClosed {
                        return DatabaseUnavailableError.connectionLostMidQuery
                    }
                    return nil
                }
            }
        } onCancel: {
            borrow.cancel()
        }
    }
}

/// One request's place in the queue for a connection. Exactly one of acquire / give up / abandon wins, so the
/// "requests waiting" gauge goes down exactly once and the wait is recorded exactly once.
final class WaitTicket: Sendable {
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

/// A count shared by the tasks of a pool (an `Atomic` cannot be captured by a closure that escapes).
final class SharedCount: Sendable {
    let value = Atomic<Int>(0)
}
