/// A named cache in Redis (cache-aside: look in Redis first, compute and store on a miss) that counts its
/// hits and misses in ``CacheMetrics``.
///
/// ```swift
/// let products = RedisCache(name: "products", redis: redis, timeToLive: .seconds(60))
/// let json = try await products.value(for: "product:\(id)") { try await loadFromDatabase(id) }
/// ```
///
/// Keys are used as given (no prefix), so `redis-cli GET product:42` shows what the cache holds.
public struct RedisCache: Sendable {
    /// The `cache` label of `cache_requests_total`.
    public let name: String
    public let redis: any RedisCommands
    /// How long entries live; nil keeps them until deleted or evicted.
    public let timeToLive: Duration?

    public init(name: String, redis: any RedisCommands, timeToLive: Duration? = nil) {
        self.name = name
        self.redis = redis
        self.timeToLive = timeToLive
    }

    /// The cached value for `key`, counted as a hit, or nil, counted as a miss.
    public func get(_ key: String) async throws -> String? {
        let value = try await self.redis.get(key)
        CacheMetrics.record(cache: self.name, hit: value != nil)
        return value
    }

    /// Stores `value` under `key` for ``timeToLive``.
    public func set(_ key: String, to value: String) async throws {
        let expiration = self.timeToLive.map { RedisExpiration.milliseconds(max(1, $0.milliseconds)) }
        try await self.redis.set(key, to: value, expiration: expiration)
    }

    /// Removes `key` (after the data behind it changed), so the next read recomputes it.
    public func invalidate(_ key: String) async throws {
        try await self.redis.del(key)
    }

    /// The cached value for `key`; on a miss, `compute`s it, stores it and returns it.
    public func value(for key: String, compute: () async throws -> String) async throws -> String {
        if let cached = try await self.get(key) { return cached }
        let value = try await compute()
        try await self.set(key, to: value)
        return value
    }
}
