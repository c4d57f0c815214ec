/// A Lua script run atomically inside Redis (a rate limiter's check-and-count, a compare-and-set), sent by
/// its SHA-1 so the text crosses the network once.
///
/// ``run(on:keys:arguments:)`` tries `EVALSHA`; when Redis does not know the script yet (first use, after a
/// restart or `SCRIPT FLUSH`) it answers `NOSCRIPT`, and the script is sent with `EVAL`, which also caches
/// it for next time. Create each script once (a `static let`) and run it as often as needed.
///
/// ```swift
/// static let hit = RedisScript("""
///     local count = redis.call('INCR', KEYS[1])
///     if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
///     return count
///     """)
/// let count = try await Self.hit.run(on: redis, keys: ["rate:\(ip)"], arguments: ["60"]).int
/// ```
public struct RedisScript: Sendable, Hashable {
    public let source: String
    /// The SHA-1 Redis files the script under.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = SHA1.hex(source)
    }

    /// Runs the script with `KEYS` and `ARGV`; returns what it returns.
    /// - Throws: ``RedisServerError`` when the script fails (its error message names the line).
    public func run(on redis: some RedisCommands, keys: [String] = [], arguments: [String] = []) async throws -> RESPValue {
        let tail = [String(keys.count)] + keys + arguments
        do {
            return try await redis.send(RedisCommand(name: "EVALSHA", arguments: [self.sha1] + tail))
        } catch let error as RedisServerError where error.code == "NOSCRIPT" {
            return try await redis.send(RedisCommand(name: "EVAL", arguments: [self.source] + tail))
        }
    }
}

extension RedisCommands {
    /// `EVAL script numkeys key... arg...`: runs Lua once, without caching on the client. Prefer
    /// ``RedisScript`` for anything run more than once.
    public func eval(_ source: String, keys: [String] = [], arguments: [String] = []) async throws -> RESPValue {
        try await self.send(RedisCommand(name: "EVAL", arguments: [source, String(keys.count)] + keys + arguments))
    }

    /// `EVALSHA sha1 numkeys key... arg...`: runs a script Redis already caches.
    /// - Throws: ``RedisServerError`` with code `NOSCRIPT` when it does not.
    public func evalsha(_ sha1: String, keys: [String] = [], arguments: [String] = []) async throws -> RESPValue {
        try await self.send(RedisCommand(name: "EVALSHA", arguments: [sha1, String(keys.count)] + keys + arguments))
    }
}
