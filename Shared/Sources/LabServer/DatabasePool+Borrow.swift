import NIOCore
import NIOPosix
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
                        return DatabaseUnavailableError(
                            message: "lost the connection to PostgreSQL in the middle of a query - is it running? (`./lab db status`)",
                            isConnectionLoss: true
                        )
                    }
                    return nil
                }
            }
        } onCancel: {
            borrow.cancel()
        }
    }
}

/// One request's borrow, from the caller's side: its continuation is resumed exactly once, by the first of
/// the work's result, a failed check of the watchdog, or the caller's cancellation.
///
/// The connection counts as in use from the moment it is lent until the caller is answered, so the gauges
/// stay true even when the work never returns (the query that hangs on a closed connection).
private final class Borrow<Result: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<Result, any Error>?
        var finished = false
        var connection: PostgresConnection?
        var lentAt: ContinuousClock.Instant?
        var work: Task<Void, Never>?
        var check: Scheduled<Void>?
    }
    private let state = Mutex(State())
    private let metrics: DatabaseMetrics
    private let inUse: SharedCount

    init(metrics: DatabaseMetrics, inUse: SharedCount) {
        self.metrics = metrics
        self.inUse = inUse
    }

    func wait(_ continuation: CheckedContinuation<Result, any Error>) {
        self.state.withLock { $0.continuation = continuation }
    }

    /// The work got its connection: it counts as in use, and the watchdog checks that it stays open.
    func lent(_ connection: PostgresConnection) {
        let counted = self.state.withLock { state -> Bool in
            guard !state.finished else { return false }
            (state.connection, state.lentAt) = (connection, .now)
            return true
        }
        guard counted else { return }
        self.metrics.connectionsInUse.increment()
        self.inUse.value.add(1, ordering: .relaxed)
    }

    /// Resumes the caller, unless something else already did, and gives the connection back to the count.
    func finish(_ result: Swift.Result<Result, any Error>) {
        let (continuation, check, lentAt) = self.state.withLock { state in
            guard !state.finished else { return (CheckedContinuation<Result, any Error>?.none, Scheduled<Void>?.none, ContinuousClock.Instant?.none) }
            state.finished = true
            defer { (state.continuation, state.check, state.work, state.connection) = (nil, nil, nil, nil) }
            return (state.continuation, state.check, state.lentAt)
        }
        check?.cancel()
        if let lentAt {
            self.inUse.value.subtract(1, ordering: .relaxed)
            self.metrics.connectionsInUse.decrement()
            self.metrics.holdDuration.record(ContinuousClock.now - lentAt)
        }
        continuation?.resume(with: result)
    }

    /// The caller was cancelled (its client went away, or the server is shutting down): answer it, then stop
    /// the work (in that order, so the work's own "cancelled" error never reaches the caller).
    func cancel() {
        let work = self.state.withLock { $0.work }
        self.finish(.failure(CancellationError()))
        work?.cancel()
    }

    /// Checks the borrow after `delay`, then every second until it finishes: `failure` returns the error to
    /// fail it with (given the connection lent, nil while still waiting for one), or nil to keep going.
    func watch(
        work: Task<Void, Never>,
        firstCheckIn delay: Duration,
        failure: @escaping @Sendable (PostgresConnection?) -> (any Error)?
    ) {
        let loop = NIOSingletons.posixEventLoopGroup.next()
        let scheduled = loop.scheduleTask(
            in: .nanoseconds(Int64(delay.components.seconds) * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000)
        ) {
            self.check(work: work, loop: loop, failure: failure)
        }
        let alreadyFinished = self.state.withLock { state -> Bool in
            state.work = work
            state.check = scheduled
            return state.finished
        }
        if alreadyFinished { scheduled.cancel() }
    }

    private func check(work: Task<Void, Never>, loop: any EventLoop, failure: @escaping @Sendable (PostgresConnection?) -> (any Error)?) {
        guard let connection = self.state.withLock({ $0.finished ? nil : Optional($0.connection) }) else { return }
        if let error = failure(connection) {
            self.finish(.failure(error))  // first: the work's own error on being cancelled must not win
            work.cancel()
            return
        }
        let next = loop.scheduleTask(in: .seconds(1)) { self.check(work: work, loop: loop, failure: failure) }
        let alreadyFinished = self.state.withLock { state -> Bool in
            state.check = next
            return state.finished
        }
        if alreadyFinished { next.cancel() }
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
