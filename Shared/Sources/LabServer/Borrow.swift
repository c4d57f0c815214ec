import NIOCore
import NIOPosix
import PostgresNIO
import Prometheus
import Synchronization

/// One request's borrow, from the caller's side: its continuation is resumed exactly once, by the first of
/// the work's result, a failed check of the watchdog, or the caller's cancellation.
///
/// The connection counts as in use from the moment it is lent until the caller is answered, so the gauges
/// stay true even when the work never returns (the query that hangs on a closed connection).
final class Borrow<Result: Sendable>: Sendable {
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

extension Borrow {
    /// Runs `body` on a connection already open (``NewConnectionPerRequest``) in a task of its own, and answers
    /// with the first of: its result, the connection found closed under it (checked every second), or the
    /// caller's cancellation. The same postgres-nio hang as in ``DatabasePool/borrow(from:_:)``: a query sent
    /// on a connection PostgreSQL just closed never answers, and without this the request (and a graceful
    /// shutdown waiting for it) would wait for ever.
    static func run(
        on connection: PostgresConnection,
        metrics: DatabaseMetrics,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        let borrow = Borrow<Result>(metrics: metrics, inUse: SharedCount())
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                borrow.wait(continuation)
                borrow.lent(connection)
                let work = Task {
                    do {
                        borrow.finish(.success(try await body(connection)))
                    } catch {
                        borrow.finish(.failure(error))
                    }
                }
                borrow.watch(work: work, firstCheckIn: .seconds(1)) { connection in
                    guard let connection, connection.isClosed else { return nil }
                    return DatabaseUnavailableError.connectionLostMidQuery
                }
            }
        } onCancel: {
            borrow.cancel()
        }
    }
}
