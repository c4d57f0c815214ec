import Foundation
import Logging
import PostgresNIO
import Prometheus
import ServiceLifecycle
import Synchronization

/// A pool of PostgreSQL connections opened once and shared by all requests (postgres-nio's
/// `PostgresClient`), instrumented so a learner can watch it, bounded so a request never waits forever, and
/// able to ride out a database restart by itself.
///
/// postgres-nio offers neither a pool-metrics hook nor an acquire timeout, so this wrapper adds both around
/// `withConnection`: it records requests waiting, connections in use, time waited and connections opened, and
/// gives up after ``acquireTimeout`` with ``DatabaseUnavailableError`` (a 503, not a hung request).
///
/// **Outages.** When a request loses its connection, or waits the whole timeout while no connection is in use
/// and none was lent (the pool may be unable to open one) and a probe connection is refused too, the pool marks
/// PostgreSQL unreachable (or full): from then on requests fail at once with
/// a 503 saying so, instead of each waiting the whole timeout, while one probe connection tries again every
/// half second. When the probe gets through, the pool starts a fresh `PostgresClient` (postgres-nio backs off
/// for up to a minute between attempts after a long outage; a fresh client connects at once) and serves again.
///
/// Add it to the application's services (``LabApplication`` does): the pool only connects while it runs,
/// and closes its connections on graceful shutdown after the HTTP server has finished its requests.
public final class DatabasePool: Service, Sendable {
    public let url: DatabaseURL
    public let size: Int
    /// How long a request may wait for a free connection before it fails. A failure boundary (a request
    /// should not hang for ever when the database is gone), not a performance knob.
    public let acquireTimeout: Duration
    let openAllAtStart: Bool
    let logger: Logger
    let metrics: DatabaseMetrics
    let health: DatabaseHealth
    /// The client requests borrow from, and its generation number (a fresh one after each outage).
    private let current: Mutex<Generation>
    /// Connections of this pool lent to requests right now (the gauge adds up every pool of the process).
    let inUseCount = SharedCount()
    /// Connections lent since the start, counted up: a request that timed out while this did not move saw a
    /// pool that could not lend at all, not a busy one.
    let lends = SharedCount()
    /// A probe is checking whether a suspicious timeout means PostgreSQL refuses connections.
    private let probing = Atomic<Bool>(false)
    /// Connections a fixed-size pool managed to open at start (fewer than ``size`` when PostgreSQL refused).
    let openedAtStart = SharedCount()
    /// Between the start and the end of ``run()``: before it, the client cannot lend anything.
    private let isRunning = Atomic<Bool>(false)
    /// Outage reports from requests, for ``run()``: the generation that saw the database go.
    private let outages: (stream: AsyncStream<Int>, continuation: AsyncStream<Int>.Continuation)

    /// - Parameters:
    ///   - url: where the database is.
    ///   - size: the most connections this pool opens.
    ///   - acquireTimeout: how long a request may wait for a connection before it gets a 503. Shorter than the
    ///     client's own timeout (the lab's load tool waits 5 s), so the client gets a clear 503 rather than
    ///     giving up on a request the server is still working on.
    ///   - openAllAtStart: open all `size` connections when the server starts and keep them open (a
    ///     fixed-size pool) instead of opening them as requests need them. A pool too big for the database
    ///     then says so in the log at start-up, not in the middle of a traffic peak.
    ///   - logger: where postgres-nio logs connection trouble, and the pool its outages.
    public init(url: DatabaseURL, size: Int, acquireTimeout: Duration = .seconds(2), openAllAtStart: Bool = false, logger: Logger) {
        precondition(size > 0, "a pool needs at least one connection")
        self.url = url
        self.size = size
        self.acquireTimeout = acquireTimeout
        self.openAllAtStart = openAllAtStart
        self.logger = logger
        self.metrics = .shared
        self.health = DatabaseHealth(metrics: .shared)
        self.current = Mutex(Generation(number: 1, client: Self.makeClient(url: url, size: size, keepOpen: openAllAtStart, logger: logger)))
        self.outages = AsyncStream.makeStream(of: Int.self, bufferingPolicy: .bufferingNewest(1))
        self.metrics.acquireTimeout.set(Double(acquireTimeout.components.seconds) + Double(acquireTimeout.components.attoseconds) / 1e18)
    }

    /// One `PostgresClient` and its number: errors from a client already replaced must not report an outage.
    private struct Generation: Sendable {
        var number: Int
        var client: PostgresClient
    }

    /// A `PostgresClient` for this pool.
    ///
    /// `minimumConnections` stays 0 on purpose, even for a fixed-size pool: with `minimumConnections` > 0,
    /// postgres-nio 1.33.2 crashes when PostgreSQL restarts under load. Smallest reproduction: a client with
    /// `minimumConnections = maximumConnections = 10`, `withConnection` called in a loop by 50 tasks, then
    /// `pg_ctl restart -m fast`: `precondition(self.minimumConcurrentConnections <= self.stats.active)` in
    /// `PoolStateMachine.ConnectionGroup.createNewDemandConnectionIfPossible()` traps, because after the
    /// connections close it refills only while `connections.count` (which still counts connections being
    /// closed) is below the minimum, so `active` can be below it when the next lease arrives. A fixed-size
    /// pool is made instead by opening every connection at start (``openAllConnections(of:)``) and never
    /// closing idle ones.
    static func makeClient(url: DatabaseURL, size: Int, keepOpen: Bool, logger: Logger) -> PostgresClient {
        var configuration = url.clientConfiguration(size: size)
        if keepOpen { configuration.options.connectionIdleTimeout = .seconds(7 * 24 * 3600) }
        return PostgresClient(configuration: configuration, backgroundLogger: logger)
    }

    public func run() async {
        self.isRunning.store(true, ordering: .relaxed)
        // The gauge adds up every running pool of the process (scenario 07's server has one per database).
        self.metrics.poolSize.increment(by: Double(self.size))
        defer {
            self.metrics.poolSize.decrement(by: Double(self.size))
            self.isRunning.store(false, ordering: .relaxed)
        }
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                var generation = self.current.withLock { $0 }
                var retire = self.start(generation, in: &group)
                for await number in self.outages.stream where number == generation.number {
                    // Requests fail fast from now on (``withConnection``); wait until PostgreSQL answers again.
                    await self.waitUntilReachable()
                    if Task.isCancelled { break }
                    retire.finish()  // the old client's connections are dead; its run() ends and it closes
                    generation = Generation(
                        number: generation.number + 1,
                        client: Self.makeClient(url: self.url, size: self.size, keepOpen: self.openAllAtStart, logger: self.logger)
                    )
                    self.current.withLock { $0 = generation }
                    retire = self.start(generation, in: &group)
                    if let downFor = self.health.markUp() {
                        self.logger.notice(
                            "PostgreSQL at \(self.url.host):\(self.url.port) answers again after \(Self.seconds(downFor)): serving requests again"
                        )
                    }
                }
                group.cancelAll()
            }
        }
    }

    /// Runs `generation`'s client in `group` until the returned continuation is finished (or the group is
    /// cancelled), and opens its connections when the pool is fixed-size.
    private func start(_ generation: Generation, in group: inout DiscardingTaskGroup) -> AsyncStream<Void>.Continuation {
        let (retired, retire) = AsyncStream.makeStream(of: Void.self)
        group.addTask {
            await withDiscardingTaskGroup { inner in
                inner.addTask { await generation.client.run() }
                if self.openAllAtStart { inner.addTask { await self.openAllConnections(of: generation.client) } }
                for await _ in retired {}
                inner.cancelAll()
            }
        }
        return retire
    }

    /// Whether the pool already knows PostgreSQL cannot be used right now (a request lost its connection, or a
    /// probe was refused): until a probe gets through, every request fails at once with a 503. A readiness check
    /// can say "not ready" from this without asking PostgreSQL anything.
    public var knowsDatabaseIsUnusable: Bool { self.health.outage != nil }

    /// Borrows a connection for `body` and gives it back afterwards, even if `body` throws.
    /// - Throws: ``DatabaseUnavailableError`` when PostgreSQL is known to be unreachable (at once), or when no
    ///   connection was free within ``acquireTimeout`` (all busy, or the database is unreachable); otherwise
    ///   whatever `body` throws.
    public func withConnection<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        guard self.isRunning.load(ordering: .relaxed) else {
            // postgres-nio would queue the request until the acquire timeout: say what is wrong instead.
            self.logger.error("\(DatabaseUnavailableError.poolNotRunning().message)")
            throw DatabaseUnavailableError.poolNotRunning()
        }
        if let outage = self.health.outage {
            self.metrics.refusedAtOnce.increment()
            throw DatabaseUnavailableError.unusable(url: self.url, outage: outage)
        }
        let generation = self.current.withLock { $0 }
        let lendsBefore = self.lends.value.load(ordering: .relaxed)
        do {
            return try await self.borrow(from: generation.client, body)
        } catch let error as DatabaseUnavailableError where error.isPoolTimeout {
            // None in use now and none lent to anyone for the whole wait: the pool may be unable to open a
            // connection (PostgreSQL refuses or is gone). Or the process was starved of CPU for a moment on a
            // busy machine: a probe connection tells the two apart before anyone is told the database is gone.
            if self.inUseCount.value.load(ordering: .relaxed) == 0, self.lends.value.load(ordering: .relaxed) == lendsBefore {
                self.suspectOutage(generation: generation.number)
            }
            throw error
        } catch {
            if DatabaseUnavailableError.isConnectionLoss(error), let unavailable = DatabaseUnavailableError.from(error) {
                self.reportOutage(unavailable.message, generation: generation.number)
            }
            throw error
        }
    }

    /// Marks PostgreSQL unreachable (once per outage) and wakes ``run()`` to probe it, unless the report
    /// comes from a client that was already replaced.
    private func reportOutage(_ reason: String, generation: Int, isFull: Bool = false) {
        guard self.current.withLock({ $0.number }) == generation, self.health.markDown(reason: reason) else { return }
        // A full database gets its own line from the probe that follows (it names the pool's share).
        if !isFull {
            self.logger.error(
                "PostgreSQL at \(self.url.host):\(self.url.port) cannot be used (\(reason)). Answering 503 at once until it can; checking every 0.5 s."
            )
        }
        self.outages.continuation.yield(generation)
    }

    /// A request timed out while the pool lent nothing: one probe (at a time) asks PostgreSQL directly, and
    /// only its refusal counts as an outage. Unstructured, but short: the probe gives up after 2 s.
    private func suspectOutage(generation: Int) {
        guard self.probing.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        Task {
            defer { self.probing.store(false, ordering: .relaxed) }
            if let refusal = await self.probe() { self.reportOutage(refusal.reason, generation: generation, isFull: refusal.isFull) }
        }
    }

    /// Tries one connection every half second until PostgreSQL accepts it (or the pool is shutting down).
    private func waitUntilReachable() async {
        while !Task.isCancelled {
            guard let refusal = await self.probe() else { return }
            if self.health.update(reason: refusal.reason, isFull: refusal.isFull) {
                let held = self.openedAtStart.value.load(ordering: .relaxed)
                let mine = held > 0 ? ", \(held) of them by this server's own pool of \(self.size)" : ""
                self.logger.error(
                    "PostgreSQL is reachable but refuses new connections (\(refusal.reason)): every connection slot is taken\(mine). \(Self.budgetAdvice)"
                )
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }

    /// One connection outside the pool: nil when PostgreSQL accepts it, otherwise why not, and whether it was
    /// the refusal of a full database (SQLSTATE 53300), whose own words say enough ("remaining connection
    /// slots are reserved...").
    private func probe() async -> (reason: String, isFull: Bool)? {
        var configuration = self.url.connectionConfiguration
        configuration.options.connectTimeout = .seconds(2)
        var quiet = self.logger
        quiet.logLevel = .critical  // a refusal is reported once, by the caller
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: quiet)
            try? await connection.close()
            return nil
        } catch {
            let psql = error as? PSQLError
            guard psql?.serverInfo?[.sqlState] == "53300" else {
                return (DatabaseUnavailableError(connecting: error, url: self.url).message, false)
            }
            return (psql?.serverInfo?[.message] ?? "too many connections", true)
        }
    }

    /// Opens every connection of a fixed-size pool: borrows connections until `size` distinct ones are held at
    /// once, then gives them all back (the client keeps idle connections open). postgres-nio opens at most 20
    /// connections at a time, and only for requests that arrive while none is idle, so the borrowing comes in
    /// waves. Gives up once PostgreSQL stops giving new ones for half a second (it refuses: too many clients),
    /// and then says so loudly in the log; requests that arrive meanwhile wait that long at most.
    private func openAllConnections(of client: PostgresClient) async {
        let started = ContinuousClock.now
        let held = SharedCount()
        let opened = DistinctConnections()
        let release = SharedFlag()
        await withDiscardingTaskGroup { group in
            var lastProgress = ContinuousClock.now
            var lastCount = 0
            var asked = 0
            while !release.isSet, !Task.isCancelled {
                let count = opened.count
                if count >= self.size { break }
                if count != lastCount { (lastCount, lastProgress) = (count, .now) }
                if ContinuousClock.now - lastProgress > .milliseconds(500) { break }
                // One more wave when every connection asked for so far is held (none idle to reuse).
                if held.value.load(ordering: .relaxed) == asked {
                    let wave = min(20, self.size - asked)
                    asked += wave
                    for _ in 0..<wave {
                        group.addTask {
                            try? await client.withConnection { connection in
                                self.metrics.poolLent(connectionID: connection.id)
                                opened.insert(connection.id)
                                held.value.add(1, ordering: .relaxed)
                                while !release.isSet { try await Task.sleep(for: .milliseconds(5)) }
                            }
                        }
                    }
                }
                try? await Task.sleep(for: .milliseconds(5))
            }
            release.set()
            group.cancelAll()  // leases still waiting for a connection PostgreSQL does not give
        }
        let count = opened.count
        self.openedAtStart.value.store(count, ordering: .relaxed)
        guard !Task.isCancelled else { return }
        guard count < self.size else {
            self.logger.debug("opened all \(count) connections of the pool in \(Self.seconds(ContinuousClock.now - started))")
            return
        }
        var reason = "PostgreSQL gave no more within half a second"
        do {
            let extra = try await PostgresConnection.connect(configuration: self.url.connectionConfiguration, id: 0, logger: self.logger)
            try? await extra.close()
        } catch {
            reason = DatabaseUnavailableError(connecting: error, url: self.url).message
        }
        self.logger.error(
            "the database pool opened only \(count) of its \(self.size) connections: \(reason). \(Self.budgetAdvice)"
        )
    }

    static let budgetAdvice =
        "Requests that need the missing connections will wait and fail: a pool must fit the database's connection budget (max_connections)."

    static func seconds(_ duration: Duration) -> String {
        String(format: "%.1f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}

/// The distinct connections a fixed-size pool's warm-up got.
private final class DistinctConnections: Sendable {
    private let ids = Mutex<Set<Int>>([])
    func insert(_ id: Int) { _ = self.ids.withLock { $0.insert(id) } }
    var count: Int { self.ids.withLock { $0.count } }
}

/// A flag set once, read by many tasks.
private final class SharedFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { self.value.store(true, ordering: .relaxed) }
    var isSet: Bool { self.value.load(ordering: .relaxed) }
}
