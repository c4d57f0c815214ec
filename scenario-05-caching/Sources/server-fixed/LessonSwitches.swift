import Foundation
import LabRedis
import Logging

/// Turns one fix off at a time, for the lesson test, which proves each fix is needed by running this server
/// without it (the obvious first cache has none of them). Every switch is on unless its environment variable says
/// `off`, e.g. `CACHE_INVALIDATION=off`. You can ignore this file.
struct LessonSwitches: Sendable {
    /// FIX 1: keys expire (`CACHE_TTL=off` keeps them until Redis drops them).
    var timeToLive = Self.isOn("CACHE_TTL")
    /// FIX 2: a change deletes the cached page (`CACHE_INVALIDATION=off`).
    var invalidation = Self.isOn("CACHE_INVALIDATION")
    /// FIX 3: one computation per key at a time (`CACHE_COALESCING=off`).
    var coalescing = Self.isOn("CACHE_COALESCING")
    /// FIX 4: Redis errors fall back to PostgreSQL, after short timeouts (`CACHE_FAIL_OPEN=off`: they become
    /// 503s, and the pool is the naive server's: 10 connections, the 5 s default timeouts).
    var failOpen = Self.isOn("CACHE_FAIL_OPEN")
    /// The trending page's time to live in seconds (`CACHE_TRENDING_TTL=5`: several expiries in one 20 s run).
    var trendingSeconds = ProcessInfo.processInfo.environment["CACHE_TRENDING_TTL"].flatMap(Int.init).map { max(1, $0) } ?? 30

    /// The `fixed` pool, or with FIX 4 off, the naive server's pool (10 connections, default timeouts) to the
    /// same Redis.
    func redisPool(fixed: RedisPool, logger: Logger) -> RedisPool {
        guard !self.failOpen else { return fixed }
        var configuration = fixed.configuration
        let defaults = RedisConfiguration()
        configuration.commandTimeout = defaults.commandTimeout
        configuration.connectTimeout = defaults.connectTimeout
        return RedisPool(configuration: configuration, size: 10, logger: logger)
    }

    static func isOn(_ name: String) -> Bool {
        ProcessInfo.processInfo.environment[name]?.lowercased() != "off"
    }
}
