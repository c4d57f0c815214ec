import LabRedis
import Logging
import Synchronization

/// The shop's cache: Redis in front of PostgreSQL, for the two pages everyone reads.
///
/// The obvious first cache is "look in Redis; on a miss, ask PostgreSQL and store the answer for a while"
/// (cache-aside with a time to live, `RedisCache.value(for:compute:)`). It makes the shop fast, and then it bites
/// four ways. Each fix below is marked FIX 1 to FIX 4 with what it costs.
final class ShopCache: Sendable {
    // FIX 1 (memory): every key has a time to live, so Redis only holds what was read recently, however many
    // products there are. The trending page may be up to 30 seconds old: a product decision ("trending this week"
    // does not need to be to-the-second), written down here where everyone sees it.
    let trending: RedisCache
    // Product pages live 60 seconds at most, and are deleted as soon as they change (FIX 2).
    let products: RedisCache
    private let coalescer = Coalescer()
    private let health: RedisHealth
    private let switches: LessonSwitches

    init(redis: RedisPool, logger: Logger, switches: LessonSwitches = LessonSwitches()) {
        self.trending = RedisCache(name: "trending", redis: redis, timeToLive: switches.timeToLive ? .seconds(switches.trendingSeconds) : nil)
        self.products = RedisCache(name: "products", redis: redis, timeToLive: switches.timeToLive ? .seconds(60) : nil)
        self.health = RedisHealth(logger: logger)
        self.switches = switches
    }

    /// The cached value for `key`, or `compute`d (by one request at a time per key) and cached.
    func value(_ cache: RedisCache, key: String, compute: @escaping @Sendable () async throws -> String) async throws -> String {
        if let cached = try await self.read(cache, key) { return cached }
        guard self.switches.coalescing else {
            let value = try await compute()
            try await self.write(cache, key, value)
            return value
        }
        // FIX 3 (stampede): when a popular key expires, hundreds of requests miss at the same moment. Without
        // this, each one runs the 300 ms query: the database drowns every 30 seconds. Here the first miss
        // computes, and every other request for the same key waits for that one answer instead.
        // Cost: a few requests wait up to one query's time; each instance of the server computes once per expiry.
        return try await self.coalescer.run(key) {
            let value = try await compute()
            try await self.write(cache, key, value)
            return value
        }
    }

    /// FIX 2 (stale reads): after a change is saved in PostgreSQL, delete the cached page, so the next read
    /// builds it again from the new data. (Without this, the old price is served until the time to live runs out.)
    /// Cost: one more Redis command per write; a read racing the write can still store the old page, for at most
    /// the time to live.
    /// A failed read is harmless (a miss), a failed delete is not: the old page would stay for up to 60 seconds.
    /// So the delete is tried 3 times before giving up. If Redis is really away, it gives up (the write is saved,
    /// the user gets their answer), and the page may be stale for up to its time to live after Redis is back: the
    /// time to live is the safety net (FIX 1).
    func productChanged(_ id: Int) async {
        guard self.switches.invalidation else { return }
        for attempt in 1...3 {
            do {
                try await self.products.invalidate(Self.productKey(id))
                self.health.answered()
                return
            } catch {
                if attempt == 3 { self.health.failed(error) }
            }
        }
    }

    static func productKey(_ id: Int) -> String { "product:\(id)" }

    // FIX 4 (Redis down): the cache is an optimisation, not a dependency. When Redis does not answer, every
    // read counts as a miss and every write is skipped: the shop answers from PostgreSQL (slower) instead of
    // failing, and uses Redis again by itself when it is back. Cost: while Redis is away the database takes the
    // whole load (coalescing keeps the trending query to one at a time).

    private func read(_ cache: RedisCache, _ key: String) async throws -> String? {
        do {
            let value = try await cache.get(key)
            self.health.answered()
            return value
        } catch {
            guard self.switches.failOpen else { throw error }
            self.health.failed(error)
            return nil
        }
    }

    private func write(_ cache: RedisCache, _ key: String, _ value: String) async throws {
        do {
            try await cache.set(key, to: value)
            self.health.answered()
        } catch {
            guard self.switches.failOpen else { throw error }
            self.health.failed(error)
        }
    }
}

/// One computation per key at a time: concurrent callers for the same key share its result.
actor Coalescer {
    private var running: [String: Task<String, any Error>] = [:]

    func run(_ key: String, _ work: @escaping @Sendable () async throws -> String) async throws -> String {
        if let task = self.running[key] { return try await task.value }
        let task = Task { try await work() }  // not cancelled with the first caller: the others need its answer
        self.running[key] = task
        defer { self.running[key] = nil }
        return try await task.value
    }
}

/// Says once that Redis stopped answering and once that it is back, instead of a line per request; and a
/// command Redis refused (`OOM command not allowed when used memory > 'maxmemory'`) at most once a minute, with
/// how many there were: the cache being full is worth a line, not ten thousand.
final class RedisHealth: Sendable {
    private struct State {
        var down = false
        var refusals = 0
        var lastRefusalLine: ContinuousClock.Instant?
    }
    private let state = Mutex(State())
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func answered() {
        let wasDown = self.state.withLock { state in
            defer { state.down = false }
            return state.down
        }
        if wasDown { self.logger.notice("Redis answers again: caching again") }
    }

    func failed(_ error: any Error) {
        if let refused = error as? RedisServerError {
            let now = ContinuousClock.now
            let count = self.state.withLock { state -> Int? in
                state.refusals += 1
                if let last = state.lastRefusalLine, now - last < .seconds(60) { return nil }
                defer { (state.refusals, state.lastRefusalLine) = (0, now) }
                return state.refusals
            }
            if let count { self.logger.warning("Redis refused \(count) command(s) in the last minute, e.g. \(refused): serving from PostgreSQL") }
            return
        }
        let wasDown = self.state.withLock { state in
            defer { state.down = true }
            return state.down
        }
        if !wasDown { self.logger.warning("Redis does not answer (\(error)): serving from PostgreSQL until it is back") }
    }
}
