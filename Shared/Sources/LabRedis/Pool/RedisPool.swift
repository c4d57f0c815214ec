import Logging
import NIOCore
import NIOPosix
import Prometheus
import ServiceLifecycle
import Synchronization

/// A fixed number of Redis connections opened once and lent to callers one at a time, instrumented like
/// `DatabasePool` so a learner can watch it, and bounded so a request never waits forever.
///
/// Run it as a service (`LabApplication.makeApplication(..., services: [redis])`): while it runs it keeps
/// `size` connections open, replaces any that drop (Redis restarted, killed, a network blip) with a short
/// back-off, and closes them all on graceful shutdown. While Redis is down, commands fail at once with
/// ``RedisUnavailableError`` (a 503, not a pile of requests each waiting for a timeout), and the pool
/// recovers by itself when Redis is back.
///
/// Every typed command works on the pool directly (`try await redis.get("k")`: one connection for that
/// command). Use ``withConnection(_:)`` for several commands that belong together (`WATCH` and a
/// transaction), ``withDedicatedConnection(_:)`` for blocking reads, and ``subscribe(to:patterns:)`` for
/// pub/sub: neither of those two ever holds a pooled connection.
public final class RedisPool: RedisCommands, Service, Sendable {
    public let configuration: RedisConfiguration
    public let size: Int
    /// How long a caller may wait for a free connection before it fails. A failure boundary, not a
    /// performance knob.
    public let acquireTimeout: Duration
    let eventLoopGroup: any EventLoopGroup
    let logger: Logger
    let metrics: RedisMetrics
    private let state = Mutex(State())

    private struct State {
        var idle: [RedisConnection] = []
        var waiters = CircularBuffer<Waiter>()
        var open = 0
        var nextWaiterID = 0
        var running = false
        var shutDown = false
        /// Why the last connection attempt failed, while no connection is open: callers fail at once.
        var unreachable: RedisUnavailableError?

        /// An idle connection if there is one; an immediate failure when the pool is shut down or Redis is
        /// known to be down; otherwise a place in the queue.
        mutating func lend(configuration: RedisConfiguration) -> Lending {
            if self.shutDown { return .fail(RedisUnavailableError.poolShutDown(configuration)) }
            while let connection = self.idle.popLast() {
                if !connection.isClosed { return .connection(connection) }
            }
            if self.open == 0, let unreachable = self.unreachable { return .fail(unreachable) }
            self.nextWaiterID += 1
            return .wait(self.nextWaiterID)
        }
    }

    private enum Lending {
        case connection(RedisConnection)
        case fail(any Error)
        /// Nothing free: wait in line with this id.
        case wait(Int)
    }

    private struct Waiter {
        let id: Int
        let continuation: CheckedContinuation<RedisConnection, any Error>
        let since: ContinuousClock.Instant
        var timer: Scheduled<Void>?
    }

    /// - Parameters:
    ///   - configuration: where Redis is, credentials, database, timeouts.
    ///   - size: how many connections the pool keeps open.
    ///   - acquireTimeout: how long a caller may wait for a free connection before it gets a 503.
    ///   - eventLoopGroup: where the connections run (NIO's shared singleton unless a test wants its own).
    ///   - logger: where outages and recoveries are logged (once each, not per command).
    public init(
        configuration: RedisConfiguration,
        size: Int,
        acquireTimeout: Duration = .seconds(5),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger
    ) {
        precondition(size > 0, "a pool needs at least one connection")
        self.configuration = configuration
        self.size = size
        self.acquireTimeout = acquireTimeout
        self.eventLoopGroup = eventLoopGroup
        self.logger = logger
        self.metrics = .shared
    }

    /// Opens the connections and keeps them open until graceful shutdown (or cancellation), then closes
    /// them. Callers that wait meanwhile fail with ``RedisUnavailableError``.
    public func run() async throws {
        try self.state.withLock { state in
            guard !state.running, !state.shutDown else { throw RedisClientError("a RedisPool runs once; make a new one to run again") }
            state.running = true
        }
        self.metrics.poolSize.increment(by: Double(self.size))
        defer { self.metrics.poolSize.decrement(by: Double(self.size)) }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                for _ in 0..<self.size {
                    group.addTask { await self.keepConnected() }
                }
            }
        }
        self.shutDown()
    }

    /// One connection's life, over and over: connect (retrying with back-off while Redis is down), lend it
    /// out until it closes, then start again.
    private func keepConnected() async {
        var delay = Duration.milliseconds(50)
        while !Task.isCancelled {
            let connection: RedisConnection
            do {
                connection = try await RedisConnection.connect(
                    configuration: self.configuration,
                    eventLoop: self.eventLoopGroup.any(),
                    metrics: self.metrics
                )
            } catch {
                self.connectFailed(RedisUnavailableError.unreachable(self.configuration, error))
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(1))
                continue
            }
            delay = .milliseconds(50)
            self.connected(connection)
            await connection.waitUntilClosed()
            self.disconnected(connection)
        }
    }

    private func connected(_ connection: RedisConnection) {
        let (waiter, recovered) = self.state.withLock { state -> (Waiter?, Bool) in
            state.open += 1
            let recovered = state.unreachable != nil
            state.unreachable = nil
            if state.shutDown { return (nil, recovered) }
            if let waiter = state.waiters.popFirst() { return (waiter, recovered) }
            state.idle.append(connection)
            return (nil, recovered)
        }
        self.metrics.connectionsOpen.increment()
        if recovered { self.logger.notice("Redis at \(self.configuration) is reachable again") }
        if let waiter { self.hand(connection, to: waiter) }
    }

    private func disconnected(_ connection: RedisConnection) {
        self.state.withLock { state in
            state.open -= 1
            state.idle.removeAll { $0 === connection }
        }
        self.metrics.connectionsOpen.decrement()
    }

    /// No connection could be opened. With none open at all, Redis is down: fail every waiting caller now
    /// and every new one until a connection succeeds.
    private func connectFailed(_ error: RedisUnavailableError) {
        let (failed, firstTime) = self.state.withLock { state -> ([Waiter], Bool) in
            guard state.open == 0 else { return ([], false) }
            let firstTime = state.unreachable == nil
            state.unreachable = error
            defer { state.waiters.removeAll() }
            return (Array(state.waiters), firstTime)
        }
        if firstTime { self.logger.warning("\(error.message)") }
        for waiter in failed { self.fail(waiter, with: error) }
    }

    private func shutDown() {
        let (waiters, idle) = self.state.withLock { state in
            state.shutDown = true
            defer {
                state.waiters.removeAll()
                state.idle.removeAll()
            }
            return (Array(state.waiters), state.idle)
        }
        let error = RedisUnavailableError.poolShutDown(self.configuration)
        for waiter in waiters { self.fail(waiter, with: error) }
        for connection in idle { connection.channel.close(promise: nil) }
    }

    // MARK: Lending

    /// Borrows a connection for `body` and gives it back afterwards, even if `body` throws: for commands that
    /// must share a connection (`WATCH`, then a read, then ``RedisCommands/transaction(_:)``). A connection
    /// given back with a `WATCH` or `MULTI` still open is closed rather than lent to the next caller.
    /// - Throws: ``RedisUnavailableError`` when Redis is down or no connection was free within
    ///   ``acquireTimeout``; otherwise whatever `body` throws.
    public func withConnection<Result>(_ body: (RedisConnection) async throws -> Result) async throws -> Result {
        let connection = try await self.acquire()
        defer { self.release(connection) }
        return try await body(connection)
    }

    /// Opens a connection of its own for `body` (outside the pool's `size`) and closes it afterwards: for
    /// blocking reads (`XREADGROUP ... BLOCK`), which would hold a pooled connection for the whole wait.
    public func withDedicatedConnection<Result>(_ body: (RedisConnection) async throws -> Result) async throws -> Result {
        let connection = try await RedisConnection.connect(
            configuration: self.configuration,
            eventLoop: self.eventLoopGroup.any(),
            metrics: self.metrics
        )
        do {
            let result = try await body(connection)
            await connection.close()
            return result
        } catch {
            await connection.close()
            throw error
        }
    }

    public func send(_ command: RedisCommand) async throws -> RESPValue {
        if let reason = command.unsafeOnSharedConnection { throw RedisClientError(reason) }
        return try await self.withConnection { try await $0.send(command) }
    }

    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        if let reason = commands.lazy.compactMap(\.unsafeOnSharedConnection).first { throw RedisClientError(reason) }
        return try await self.withConnection { try await $0.pipeline(commands) }
    }

    private func acquire() async throws -> RedisConnection {
        let id: Int
        switch self.state.withLock({ $0.lend(configuration: self.configuration) }) {
        case .connection(let connection):
            self.metrics.connectionsInUse.increment()
            return connection
        case .fail(let error):
            throw error
        case .wait(let waiterID):
            id = waiterID
        }
        self.metrics.requestsWaiting.increment()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let waiter = Waiter(id: id, continuation: continuation, since: .now)
                // Look again under the lock that queues: a connection may have come back since the first look.
                let lending = self.state.withLock { state -> Lending in
                    let lending = state.lend(configuration: self.configuration)
                    if case .wait = lending { state.waiters.append(waiter) }
                    return lending
                }
                switch lending {
                case .connection(let connection):
                    self.hand(connection, to: waiter)
                    return
                case .fail(let error):
                    self.fail(waiter, with: error)
                    return
                case .wait:
                    break
                }
                // Cancelled before the waiter was queued: the cancellation handler found nothing to remove.
                if Task.isCancelled {
                    self.removeWaiter(id).map { self.fail($0, with: CancellationError()) }
                    return
                }
                let timer = self.eventLoopGroup.any().scheduleTask(in: TimeAmount(self.acquireTimeout)) {
                    self.waiterTimedOut(id)
                }
                let stillWaiting = self.state.withLock { state -> Bool in
                    guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return false }
                    state.waiters[index].timer = timer
                    return true
                }
                if !stillWaiting { timer.cancel() }
            }
        } onCancel: {
            self.removeWaiter(id).map { self.fail($0, with: CancellationError()) }
        }
    }

    private func waiterTimedOut(_ id: Int) {
        guard let waiter = self.removeWaiter(id) else { return }
        self.metrics.acquireTimeouts.increment()
        self.fail(waiter, with: RedisUnavailableError.poolTimeout(self.configuration, waited: self.acquireTimeout, size: self.size))
    }

    private func removeWaiter(_ id: Int) -> Waiter? {
        self.state.withLock { state in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
    }

    private func hand(_ connection: RedisConnection, to waiter: Waiter) {
        waiter.timer?.cancel()
        self.metrics.requestsWaiting.decrement()
        self.metrics.waitDuration.record(ContinuousClock.now - waiter.since)
        self.metrics.connectionsInUse.increment()
        waiter.continuation.resume(returning: connection)
    }

    private func fail(_ waiter: Waiter, with error: any Error) {
        waiter.timer?.cancel()
        self.metrics.requestsWaiting.decrement()
        self.metrics.waitDuration.record(ContinuousClock.now - waiter.since)
        waiter.continuation.resume(throwing: error)
    }

    private func release(_ connection: RedisConnection) {
        self.metrics.connectionsInUse.decrement()
        if connection.hasOpenTransaction {
            // A WATCH or MULTI left open (the caller threw before EXEC) would change what the next caller's
            // commands do: close it, and its slot opens a clean one.
            connection.channel.close(promise: nil)
            return
        }
        let waiter = self.state.withLock { state -> Waiter? in
            // A closed connection is not given back: its slot is already opening a replacement.
            guard !connection.isClosed, !state.shutDown else { return nil }
            if let waiter = state.waiters.popFirst() { return waiter }
            state.idle.append(connection)
            return nil
        }
        if let waiter { self.hand(connection, to: waiter) }
    }
}
