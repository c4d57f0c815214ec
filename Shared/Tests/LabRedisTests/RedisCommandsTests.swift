import LabRedis
import NIOCore
import Testing

/// Every command family against a real Redis, over RESP2 and RESP3 alike.
@Suite("Redis commands (needs Redis)", .serialized)
struct RedisCommandsTests {
    static let versions: [RedisProtocolVersion] = [.resp2, .resp3]

    @Test("strings: GET, SET with EX/PX/NX/XX/GET, MGET, DEL, INCR, EXPIRE, TTL", arguments: Self.versions)
    func strings(version: RedisProtocolVersion) async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration.with(protocol: version)) { redis async throws in
                #expect(try await redis.get("missing") == nil)
                #expect(try await redis.set("k", to: "v1"))
                #expect(try await redis.get("k") == "v1")
                #expect(try await redis.set("k", to: "v2", condition: .ifNotExists) == false)
                #expect(try await redis.set("new", to: "x", condition: .ifExists) == false)
                #expect(try await redis.set("k", to: "v3", condition: .ifExists))
                #expect(try await redis.setReturningOld("k", to: "v4") == "v3")
                #expect(try await redis.setReturningOld("fresh", to: "1") == nil)
                #expect(try await redis.set("ex", to: "1", expiration: .seconds(100)))
                guard case .expires(let seconds) = try await redis.ttl("ex") else { throw RedisTestError("EX did not set a TTL") }
                #expect((90...100).contains(seconds))
                #expect(try await redis.set("px", to: "1", expiration: .milliseconds(50_000)))
                guard case .expires(let pxSeconds) = try await redis.ttl("px") else { throw RedisTestError("PX did not set a TTL") }
                #expect((40...50).contains(pxSeconds))
                #expect(try await redis.ttl("k") == .noExpiry)
                #expect(try await redis.ttl("missing") == .noSuchKey)
                #expect(try await redis.expire("k", seconds: 30))
                #expect(try await redis.expire("missing", seconds: 30) == false)
                #expect(try await redis.mget(["k", "missing", "fresh"]) == ["v4", nil, "1"])
                #expect(try await redis.incr("counter") == 1)
                #expect(try await redis.incr("counter") == 2)
                #expect(try await redis.incrby("counter", 10) == 12)
                #expect(try await redis.get("counter") == "12")
                #expect(try await redis.del("k", "fresh", "missing") == 2)
                // A value that is not text survives: bytes in, same bytes out.
                #expect(try await redis.set("unicode", to: "héllo 🙂\r\n"))
                #expect(try await redis.get("unicode") == "héllo 🙂\r\n")
            }
        }
    }

    @Test("hashes: HSET, HGET, HGETALL, HINCRBY, HDEL", arguments: Self.versions)
    func hashes(version: RedisProtocolVersion) async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration.with(protocol: version)) { redis async throws in
                #expect(try await redis.hset("user:1", ["name": "Ada", "visits": "1"]) == 2)
                #expect(try await redis.hset("user:1", ["name": "Ada L."]) == 0)
                #expect(try await redis.hget("user:1", "name") == "Ada L.")
                #expect(try await redis.hget("user:1", "nope") == nil)
                #expect(try await redis.hincrby("user:1", "visits", by: 5) == 6)
                #expect(try await redis.hgetall("user:1") == ["name": "Ada L.", "visits": "6"])
                #expect(try await redis.hgetall("nobody") == [:])
                #expect(try await redis.hdel("user:1", "visits", "nope") == 1)
                #expect(try await redis.hgetall("user:1") == ["name": "Ada L."])
            }
        }
    }

    @Test("sorted sets: ZADD, ZINCRBY, ZRANGE with REV and WITHSCORES, ZREVRANK, ZSCORE, ZREM", arguments: Self.versions)
    func sortedSets(version: RedisProtocolVersion) async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration.with(protocol: version)) { redis async throws in
                let added = try await redis.zadd(
                    "board",
                    RedisScoredMember(member: "ada", score: 10),
                    RedisScoredMember(member: "bob", score: 5),
                    RedisScoredMember(member: "cy", score: 7.5)
                )
                #expect(added == 3)
                #expect(try await redis.zincrby("board", by: 1.5, member: "bob") == 6.5)
                #expect(try await redis.zrange("board", from: 0, to: -1) == ["bob", "cy", "ada"])
                #expect(try await redis.zrange("board", from: 0, to: 1, reverse: true) == ["ada", "cy"])
                #expect(
                    try await redis.zrangeWithScores("board", from: 0, to: -1, reverse: true) == [
                        RedisScoredMember(member: "ada", score: 10), RedisScoredMember(member: "cy", score: 7.5),
                        RedisScoredMember(member: "bob", score: 6.5),
                    ]
                )
                #expect(try await redis.zrevrank("board", "ada") == 0)
                #expect(try await redis.zrevrank("board", "bob") == 2)
                #expect(try await redis.zrevrank("board", "nobody") == nil)
                #expect(try await redis.zscore("board", "cy") == 7.5)
                #expect(try await redis.zscore("board", "nobody") == nil)
                #expect(try await redis.zrem("board", "cy", "nobody") == 1)
                #expect(try await redis.zrange("board", from: 0, to: -1) == ["bob", "ada"])
            }
        }
    }

    @Test("MULTI/EXEC: all or nothing on one connection, WATCH aborts, EXECABORT throws", arguments: Self.versions)
    func transactions(version: RedisProtocolVersion) async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration.with(protocol: version)) { redis async throws in
                let replies = try await redis.transaction([.set("a", to: "1"), .incr("a"), .incr("b"), .get("a")])
                #expect(replies?.count == 4)
                #expect(replies?[1].int == 2)
                #expect(replies?[3].string == "2")
                // A command that fails while running has its error in place; the others still ran.
                _ = try await redis.set("text", to: "abc")
                let mixed = try await redis.transaction([.incr("text"), .incr("n")])
                guard case .error(let message) = mixed?[0] else { throw RedisTestError("INCR of text did not fail: \(String(describing: mixed))") }
                #expect(message.hasPrefix("ERR"))
                #expect(mixed?[1].int == 1)
                // A command Redis cannot queue aborts the whole transaction.
                await #expect(throws: RedisServerError.self) {
                    _ = try await redis.transaction([.incr("n"), RedisCommand(["INCR"])])
                }
                #expect(try await redis.get("n") == "1")
                // WATCH: a key changed by someone else between WATCH and EXEC makes EXEC do nothing.
                let aborted = try await redis.withConnection { connection in
                    _ = try await connection.send(["WATCH", "n"])
                    _ = try await redis.incr("n")  // another connection of the pool
                    return try await connection.transaction([.set("n", to: "100")])
                }
                #expect(aborted == nil)
                #expect(try await redis.get("n") == "2")
                // A caller that throws between WATCH and EXEC does not hand its WATCH to the next caller.
                for _ in 0..<8 {
                    _ = try? await redis.withConnection { connection in
                        _ = try await connection.send(["WATCH", "n"])
                        throw RedisTestError("gave up before EXEC")
                    }
                }
                _ = try await redis.incr("n")
                for _ in 0..<8 { #expect(try await redis.transaction([.incr("n")]) != nil) }
            }
        }
    }

    @Test("EVAL, EVALSHA and RedisScript, which falls back to EVAL on NOSCRIPT", arguments: Self.versions)
    func scripts(version: RedisProtocolVersion) async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration.with(protocol: version)) { redis async throws in
                let limiter = RedisScript(
                    """
                    local count = redis.call('INCR', KEYS[1])
                    if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
                    return count
                    """
                )
                // Redis names a script by the SHA-1 of its text: ours must agree.
                #expect(try await redis.send(["SCRIPT", "LOAD", limiter.source]).string == limiter.sha1)
                _ = try await redis.send(["SCRIPT", "FLUSH"])
                #expect(try await limiter.run(on: redis, keys: ["rate:1"], arguments: ["60"]).int == 1)  // NOSCRIPT, then EVAL
                #expect(try await limiter.run(on: redis, keys: ["rate:1"], arguments: ["60"]).int == 2)  // EVALSHA
                #expect(try await redis.evalsha(limiter.sha1, keys: ["rate:1"], arguments: ["60"]).int == 3)
                #expect(try await redis.eval("return ARGV[1] .. KEYS[1]", keys: ["k"], arguments: ["v"]).string == "vk")
                await #expect(throws: RedisServerError.self) { _ = try await redis.eval("return redis.call('NOPE')") }
                let missing = await #expect(throws: RedisServerError.self) { _ = try await redis.evalsha(String(repeating: "0", count: 40)) }
                #expect(missing?.code == "NOSCRIPT")
            }
        }
    }

    @Test("streams: XADD, XGROUP CREATE MKSTREAM, XREADGROUP, XACK, XPENDING, XAUTOCLAIM, XTRIM", arguments: Self.versions)
    func streams(version: RedisProtocolVersion) async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration.with(protocol: version)) { redis async throws in
                #expect(try await redis.xgroupCreate("jobs", group: "workers", startID: "0"))
                #expect(try await redis.xgroupCreate("jobs", group: "workers", startID: "0") == false)
                var ids: [String] = []
                for number in 1...5 { ids.append(try await redis.xadd("jobs", fields: ["n": String(number), "kind": "email"])) }
                #expect(try await redis.xlen("jobs") == 5)
                let first = try await redis.xreadgroup(group: "workers", consumer: "w1", streams: ["jobs": ">"], count: 3)
                #expect(first["jobs"]?.map(\.id) == Array(ids[0..<3]))
                #expect(first["jobs"]?.first?.fields == ["n": "1", "kind": "email"])
                let summary = try await redis.xpending("jobs", group: "workers")
                #expect(summary.count == 3)
                #expect(summary.consumers == ["w1": 3])
                #expect(try await redis.xack("jobs", group: "workers", ids: [ids[0]]) == 1)
                let pending = try await redis.xpending("jobs", group: "workers", count: 10)
                #expect(pending.map(\.id) == [ids[1], ids[2]])
                #expect(pending.allSatisfy { $0.consumer == "w1" && $0.deliveries == 1 })
                // w1 "crashed": w2 takes over what w1 held (idle at least 0 ms).
                let claimed = try await redis.xautoclaim("jobs", group: "workers", consumer: "w2", minIdle: .zero, count: 10)
                #expect(claimed.entries.map(\.id) == [ids[1], ids[2]])
                #expect(try await redis.xpending("jobs", group: "workers").consumers == ["w2": 2])
                // Nothing new for the group: an empty result, not an error.
                _ = try await redis.xreadgroup(group: "workers", consumer: "w1", streams: ["jobs": ">"])
                #expect(try await redis.xreadgroup(group: "workers", consumer: "w1", streams: ["jobs": ">"]).values.allSatisfy(\.isEmpty))
                #expect(try await redis.xtrim("jobs", maxLength: 2, approximate: false) == 3)
                #expect(try await redis.xlen("jobs") == 2)
                _ = try await redis.xadd("capped", fields: ["a": "1"], maxLength: 1000)
                #expect(try await redis.xlen("capped") == 1)
            }
        }
    }

    @Test("PING, INFO parsed into sections and fields, FLUSHDB, raw send, errors", arguments: Self.versions)
    func server(version: RedisProtocolVersion) async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration.with(protocol: version)) { redis async throws in
                #expect(try await redis.ping() == "PONG")
                let info = try await redis.info()
                #expect(info.sections["server"]?["redis_version"]?.isEmpty == false)
                #expect(info.sections["server"]?["tcp_port"] == String(server.port))
                #expect(info["connected_clients"].flatMap { Int($0) } ?? 0 >= 1)
                let memory = try await redis.info("memory")
                #expect(memory.sections.keys.contains("memory"))
                _ = try await redis.set("x", to: "1")
                try await redis.flushdb()
                #expect(try await redis.send(["DBSIZE"]).int == 0)
                #expect(try await redis.send(["ECHO", "hi"]).string == "hi")
                let hello = try await redis.send(["HELLO"])
                #expect(hello.pairs?.first { $0.key.string == "proto" }?.value.int == version.rawValue)
                // Redis refuses: a RedisServerError with the code, the connection stays usable.
                _ = try await redis.hset("h", ["f": "v"])
                let wrongType = await #expect(throws: RedisServerError.self) { _ = try await redis.get("h") }
                #expect(wrongType?.code == "WRONGTYPE")
                await #expect(throws: RedisServerError.self) { _ = try await redis.send(["NOSUCHCOMMAND"]) }
                #expect(try await redis.ping() == "PONG")
                // What would break a pooled connection for the next caller is refused with the way out.
                let refused = await #expect(throws: RedisClientError.self) { _ = try await redis.send(["SUBSCRIBE", "x"]) }
                #expect(refused?.message.contains("pool.subscribe") == true)
                await #expect(throws: RedisClientError.self) { _ = try await redis.send(["SELECT", "2"]) }
            }
        }
    }

    @Test("pipeline: many commands in one write, replies in order, a refused one in place", arguments: Self.versions)
    func pipeline(version: RedisProtocolVersion) async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration.with(protocol: version)) { redis async throws in
                let commands =
                    (0..<100).map { RedisCommand.set("p\($0)", to: String($0)) } + [RedisCommand(["INCR", "p1", "extra"])]
                    + (0..<100).map { RedisCommand.get("p\($0)") }
                let replies = try await redis.pipeline(commands)
                #expect(replies.count == 201)
                guard case .error = replies[100] else { throw RedisTestError("the wrong INCR was not refused") }
                #expect(replies[101...].map(\.string) == (0..<100).map { String($0) })
            }
        }
    }

    @Test("pub/sub: SUBSCRIBE and PSUBSCRIBE as an AsyncSequence, PUBLISH on the pool", arguments: Self.versions)
    func pubSub(version: RedisProtocolVersion) async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration.with(protocol: version)) { redis async throws in
                let subscription = try await redis.subscribe(to: ["news", "sport"], patterns: ["room.*"])
                #expect(try await redis.publish("hello", to: "news") == 1)
                #expect(try await redis.publish("goal", to: "sport") == 1)
                #expect(try await redis.publish("hi all", to: "room.42") == 1)
                #expect(try await redis.publish("nobody listens", to: "weather") == 0)
                var received: [RedisPubSubMessage] = []
                for try await message in subscription {
                    received.append(message)
                    if received.count == 3 { break }
                }
                #expect(
                    received == [
                        RedisPubSubMessage(channel: "news", payload: "hello"), RedisPubSubMessage(channel: "sport", payload: "goal"),
                        RedisPubSubMessage(channel: "room.42", pattern: "room.*", payload: "hi all"),
                    ]
                )
                // Leaving the loop closed the subscriber's connection: nobody hears the next message.
                try await waitUntil { try await redis.publish("late", to: "news") == 0 }
            }
        }
    }
}

/// Polls `condition` every 20 ms for up to 30 s (generous: CI machines are slow, never wrong).
func waitUntil(_ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .seconds(30)
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw RedisTestError("condition not met within 30 s")
}
