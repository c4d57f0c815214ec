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
    private let redis: RedisPool

    init(redis: RedisPool, logger: Logger, switches: LessonSwitches = LessonSwitches()) {
        self.trending = RedisCache(name: "trending", redis: redis, timeToLive: switches.timeToLive ? .seconds(switches.trendingSeconds) : nil)
        self.products = RedisCache(name: "products", redis: redis, timeToLive: switches.timeToLive ? .seconds(60) : nil)
        self.health = RedisHealth(logger: logger)
        self.switches = switches
        self.redis = redis
    }

    /// The cached value for `key`, or `compute`d (by one request at a time per key) and cached.
    /// - Parameter version: the key of a counter every change of this page increments (FIX 2): the computed
    ///   value is cached only if no change happened while it was computed.
    func value(
        _ cache: RedisCache,
        key: String,
        version: String? = nil,
        compute: @escaping @Sendable () async throws -> String
    ) async throws -> String {
        if let cached = try await self.read(cache, key) { return cached }
        let computeAndCache: @Sendable () async throws -> String = {
            let seen = try await self.readVersion(version)  // before the database, not after
            let value = try await compute()
            try await self.write(cache, key, value, ifStill: seen.map { (version ?? "", $0) })
            return value
        }
        guard self.switches.coalescing else { return try await computeAndCache() }
        // FIX 3 (stampede): when a popular key expires, hundreds of requests miss at the same moment. Without
        // this, each one runs the 300 ms query: the database drowns every 30 seconds. Here the first miss
        // computes, and every other request for the same key waits for that one answer instead.
        // Cost: a few requests wait up to one query's time; each instance of the server computes once per expiry.
        return try await self.coalescer.run(key, computeAndCache)
    }

    /// FIX 2 (stale reads): after a change is saved in PostgreSQL, delete the cached page, so the next read
    /// builds it again from the new data. (Without this, the old price is served until the time to live runs out.)
    ///
    /// One race is left after the delete: a reader that read the product from PostgreSQL just *before* the
    /// change can store its old page just *after* the delete, and the old page is back for 60 seconds (the load
    /// test saw it about once in 3,000 reviews). So each change also increments the product's version
    /// (`product:42:version`), and a reader stores its page only if the version is still the one it saw before it
    /// asked PostgreSQL (checked and stored in one step inside Redis, a Lua script: nothing can happen between).
    ///
    /// A failed read is harmless (a miss), a failed delete is not: the old page would stay for up to 60 seconds.
    /// So the change is sent 3 times before giving up. If Redis is really away, it gives up (the write is saved,
    /// the user gets their answer), and the page may be stale for up to its time to live after Redis is back: the
    /// time to live is the safety net (FIX 1).
    /// Cost: one more Redis round trip per change and one per miss, and this comment.
    func productChanged(_ id: Int) async {
        guard self.switches.invalidation else { return }
        for attempt in 1...3 {
            do {
                // The new version first, then the delete (the other order leaves the race open). A full Redis
                // under noeviction refuses the INCR but never a DEL: the page is deleted whatever happens to it.
                _ = try? await Self.newVersion.run(on: self.redis, keys: [Self.versionKey(id)], arguments: ["120"])
                try await self.products.invalidate(Self.productKey(id))
                self.health.answered()
                return
            } catch {
                if attempt == 3 { self.health.failed(error) }
            }
        }
    }

    static func productKey(_ id: Int) -> String { "product:\(id)" }
    /// The counter of changes of product `id`; it lives 120 s after the last change, twice a page's 60.
    static func versionKey(_ id: Int) -> String { "product:\(id):version" }

    /// A change: the next version, which lives `ARGV[1]` seconds.
    private static let newVersion = RedisScript(
        """
        local version = redis.call('INCR', KEYS[1])
        redis.call('EXPIRE', KEYS[1], ARGV[1])
        return version
        """
    )

    /// Stores the page (with its time to live, 0: none) only if the version is still the one the reader saw.
    private static let setIfUnchanged = RedisScript(
        """
        if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then return 0 end
        if ARGV[3] == '0' then redis.call('SET', KEYS[1], ARGV[1]) else redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) end
        return 1
        """
    )

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

    /// The version the page is at now ("0" before its first change); nil without a version, or when Redis does
    /// not answer (then nothing is stored).
    private func readVersion(_ version: String?) async throws -> String? {
        guard let version, self.switches.invalidation else { return nil }
        do {
            let seen = try await self.redis.get(version) ?? "0"
            self.health.answered()
            return seen
        } catch {
            guard self.switches.failOpen else { throw error }
            self.health.failed(error)
            return nil
        }
    }

    private func write(_ cache: RedisCache, _ key: String, _ value: String, ifStill version: (key: String, seen: String)? = nil) async throws {
        do {
            if let version {
                let milliseconds = cache.timeToLive.map { String(max(1, $0.components.seconds * 1000)) } ?? "0"
                _ = try await Self.setIfUnchanged.run(on: self.redis, keys: [key, version.key], arguments: [value, version.seen, milliseconds])
            } else {
                try await cache.set(key, to: value)
            }
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
