import Foundation
import Hummingbird
import LabKit
import LabRedis
import LabServer
import Logging
import NIOCore
import NIOPosix
import Synchronization
import Testing

/// What callers see when Redis goes away, answers garbage or nothing, and how the pool recovers.
@Suite("Redis outages and the pool (needs Redis)", .serialized)
struct RedisOutageTests {
    @Test("Redis SIGKILLed and restarted mid-load: only RedisUnavailableError, never a wrong reply, and the pool recovers by itself")
    func killedAndRestarted() async throws {
        try await withRedisServer { server async throws in
            var configuration = server.configuration
            configuration.commandTimeout = .seconds(5)
            try await withPool(configuration, size: 8, acquireTimeout: .seconds(5)) { redis async throws in
                let tally = Locked((ok: 0, unavailable: 0, other: [String]()))
                let stop = Locked(false)
                // The workers stop however the test ends, or they would run on into the next tests.
                defer { stop.withLock { $0 = true } }
                let workers = (0..<32).map { worker in
                    Task {
                        var round = 0
                        while !stop.withLock({ $0 }) {
                            round += 1
                            let key = "w\(worker)"
                            let value = "\(worker)-\(round)"
                            do {
                                _ = try await redis.set(key, to: value)
                                let read = try await redis.get(key)
                                // A restarted Redis is empty: nil is right, anybody else's value never is.
                                tally.withLock { state in
                                    if read == value || read == nil {
                                        state.ok += 1
                                    } else {
                                        state.other.append("\(key): \(value) read \(read ?? "nil")")
                                    }
                                }
                            } catch is RedisUnavailableError {
                                tally.withLock { $0.unavailable += 1 }
                                try? await Task.sleep(for: .milliseconds(5))
                            } catch {
                                tally.withLock { $0.other.append("\(error)") }
                            }
                        }
                    }
                }
                // Under load first (waits, not fixed sleeps: a busy CI machine is slow, never wrong).
                try await waitUntil { tally.withLock { $0.ok } > 200 }
                await server.kill()
                try await waitUntil { tally.withLock { $0.unavailable } > 20 }
                let whileDown = tally.withLock { $0 }
                try await server.restart()
                // The pool reconnects on its own: successes resume.
                try await waitUntil { tally.withLock { $0.ok } > whileDown.ok + 500 }
                stop.withLock { $0 = true }
                for worker in workers { await worker.value }
                let result = tally.withLock { $0 }
                #expect(result.other.isEmpty, "\(result.other.prefix(5))")
                #expect(try await redis.ping() == "PONG")
            }
        }
    }

    @Test("with Redis down, commands fail at once with an actionable message; the pool connects when it starts")
    func downAtStart() async throws {
        let port = try RedisServerProcess.freePort()
        let configuration = RedisConfiguration(host: "127.0.0.1", port: port)
        try await withPool(configuration, size: 2, acquireTimeout: .seconds(30)) { redis async throws in
            // The first connection attempt may still be under way: wait until the pool knows Redis is down.
            try await waitUntil { (try? await redis.ping()) == nil }
            let start = ContinuousClock.now
            let error = await #expect(throws: RedisUnavailableError.self) { _ = try await redis.get("k") }
            #expect(ContinuousClock.now - start < .seconds(10), "failing must not wait for the 30 s acquire timeout")
            #expect(error?.message.hasPrefix("Redis unreachable at 127.0.0.1:\(port) - is it running? (`./lab status`)") == true)
        }
        let direct = await #expect(throws: RedisUnavailableError.self) { _ = try await RedisConnection.connect(configuration: configuration) }
        #expect(direct?.message.contains("127.0.0.1:\(port)") == true)
    }

    @Test("all connections busy: a caller waits up to the acquire timeout, then gets a 503-worthy error; metrics show it")
    func acquireTimeout() async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration, size: 1, acquireTimeout: .milliseconds(300)) { redis async throws in
                _ = try await redis.ping()
                let error = try await redis.withConnection { _ in
                    await #expect(throws: RedisUnavailableError.self) { _ = try await redis.ping() }
                }
                #expect(error?.message.contains("waiting for a Redis connection (pool of 1") == true)
            }
            // Waiters are served in turn as the one connection comes back (a generous timeout this time).
            try await withPool(server.configuration, size: 1) { redis async throws in
                let results = try await withThrowingTaskGroup(of: String.self) { group in
                    for _ in 0..<50 { group.addTask { try await redis.ping() } }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
                #expect(results == [String](repeating: "PONG", count: 50))
                let metrics = String(decoding: LabMetrics.exposition(), as: UTF8.self)
                for name in [
                    "redis_commands_total{command=\"PING\"}", "redis_command_duration_seconds_bucket{command=\"PING\",le=\"0.0001\"}",
                    "redis_pool_connections_in_use", "redis_pool_requests_waiting", "redis_pool_acquire_timeouts_total",
                    "redis_pool_connections_open", "redis_connections_opened_total", "redis_pool_wait_seconds_bucket",
                ] {
                    #expect(metrics.contains(name), "\(name) missing from /metrics")
                }
            }
        }
    }

    @Test("a peer that answers garbage: the command fails with RedisProtocolError, nothing hangs")
    func malformedReply() async throws {
        try await withFakeRedis(replies: ["+OK\r\n", ":12x\r\n"]) { port in
            // The fake answers the handshake's HELLO with +OK, then garbage.
            let connection = try await RedisConnection.connect(configuration: RedisConfiguration(port: port))
            await #expect(throws: RedisProtocolError.self) { _ = try await connection.send(["GET", "k"]) }
            #expect(connection.isClosed)
            await #expect(throws: RedisProtocolError.self) { _ = try await connection.send(["GET", "k"]) }
        }
    }

    @Test("a peer that accepts and never answers: the deadline fails the connect, nothing hangs")
    func silentPeer() async throws {
        try await withFakeRedis(replies: []) { port in
            let start = ContinuousClock.now
            await #expect(throws: RedisUnavailableError.self) {
                _ = try await RedisConnection.connect(configuration: RedisConfiguration(port: port, commandTimeout: .milliseconds(300)))
            }
            #expect(ContinuousClock.now - start < .seconds(10))
        }
    }

    @Test("the lab router turns RedisUnavailableError into a 503 with the message, with no middleware of the server's own")
    func serviceUnavailable() async throws {
        let port = try RedisServerProcess.freePort()
        let redis = RedisPool(
            configuration: RedisConfiguration(port: port),
            size: 1,
            acquireTimeout: .milliseconds(500),
            logger: Logger(label: "test")
        )
        let router = LabApplication.makeRouter()
        router.get("/cached") { _, _ -> String in try await redis.get("k") ?? "none" }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            services: [redis],
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) }
        )
        let task = Task { try await app.run() }
        defer { task.cancel() }
        var ports = stream.makeAsyncIterator()
        let httpPort = await ports.next() ?? 0
        let response = await httpGet(port: httpPort, path: "/cached")
        #expect(response?.status == 503)
        // The body is Hummingbird's JSON error, which escapes the slash of ./lab.
        #expect(response?.body.contains("Redis unreachable at 127.0.0.1:\(port) - is it running?") == true, "\(response?.body ?? "")")
        #expect(response?.body.contains("lab status") == true)
        task.cancel()
        _ = await task.result
    }

    @Test("RedisCache counts hits and misses per cache in cache_requests_total")
    func cacheMetrics() async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration) { redis async throws in
                let cache = RedisCache(name: "products-test", redis: redis, timeToLive: .seconds(60))
                var computed = 0
                for _ in 0..<4 {
                    _ = try await cache.value(for: "product:1") {
                        computed += 1
                        return "{\"id\":1}"
                    }
                }
                #expect(computed == 1)
                #expect(try await cache.get("product:2") == nil)
                try await cache.invalidate("product:1")
                #expect(try await cache.get("product:1") == nil)
                let metrics = String(decoding: LabMetrics.exposition(), as: UTF8.self)
                #expect(metrics.contains(#"cache_requests_total{cache="products-test",result="hit"} 3"#))
                #expect(metrics.contains(#"cache_requests_total{cache="products-test",result="miss"} 3"#))
            }
        }
    }
}

/// A TCP server on a free port that answers its n-th read with `replies[n]` (the last one again after
/// that; never when empty), for what a real Redis never does.
func withFakeRedis(replies: [String], _ body: (Int) async throws -> Void) async throws {
    let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .childChannelInitializer { channel in
            channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(FakeRedisHandler(replies: replies)) }
        }
        .bind(host: "127.0.0.1", port: 0)
        .get()
    do {
        try await body(channel.localAddress?.port ?? 0)
        try await channel.close()
    } catch {
        try? await channel.close()
        throw error
    }
}

private final class FakeRedisHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var replies: ArraySlice<String>

    init(replies: [String]) {
        self.replies = replies[...]
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let reply = self.replies.first else { return }
        if self.replies.count > 1 { self.replies = self.replies.dropFirst() }
        context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: reply)), promise: nil)
    }
}
