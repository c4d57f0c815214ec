import LabRedis
import Logging
import NIOCore
import PropertyBased
import Synchronization
import Testing

/// What a connection promises under concurrency and failure, against a real Redis.
@Suite("Redis connection: pipelining, cancellation, deadlines, handshake (needs Redis)", .serialized)
struct RedisConnectionTests {
    @Test("many concurrent callers on one connection each get their own reply, while others cancel at random")
    func cancelledCallersNeverShiftReplies() async throws {
        try await withRedisServer { server async throws in
            let connection = try await RedisConnection.connect(configuration: server.configuration)
            let outcomes = Locked((own: 0, cancelled: 0, wrong: [String]()))
            var random = Xoshiro(seed: (42, 1, 2, 3))
            for round in 0..<20 {
                await withTaskGroup(of: Void.self) { group in
                    var tasks: [Task<Void, Never>] = []
                    for caller in 0..<200 {
                        let payload = "round\(round)-caller\(caller)-" + String(repeating: "x", count: caller % 50)
                        let task = Task {
                            do {
                                let reply = try await connection.send(["ECHO", payload])
                                outcomes.withLock { state in
                                    if reply.string == payload { state.own += 1 } else { state.wrong.append("\(payload) got \(reply)") }
                                }
                            } catch is CancellationError {
                                outcomes.withLock { $0.cancelled += 1 }
                            } catch {
                                outcomes.withLock { $0.wrong.append("\(payload) failed: \(error)") }
                            }
                        }
                        tasks.append(task)
                    }
                    // Cancel a random third of them, some before they are written and some while in flight.
                    let victims = tasks.indices.filter { _ in Int.random(in: 0..<3, using: &random) == 0 }
                    let pauses = victims.map { _ in Int.random(in: 0...200, using: &random) }
                    group.addTask {
                        for (victim, pause) in zip(victims, pauses) {
                            if pause > 150 { try? await Task.sleep(for: .microseconds(pause)) }
                            tasks[victim].cancel()
                        }
                    }
                    for task in tasks { await task.value }
                }
            }
            // Between rounds and after: the connection is still in step.
            #expect(try await connection.send(["ECHO", "last"]).string == "last")
            let result = outcomes.withLock { $0 }
            #expect(result.wrong.isEmpty, "\(result.wrong.prefix(5))")
            #expect(result.own + result.cancelled == 4000)
            #expect(result.cancelled > 0)
            #expect(result.own > 1000)
            await connection.close()
        }
    }

    @Test("a command past its deadline fails with RedisUnavailableError, and the pool carries on with a fresh connection")
    func deadline() async throws {
        try await withRedisServer(extraArguments: ["--enable-debug-command", "yes"]) { server async throws in
            var configuration = server.configuration
            configuration.commandTimeout = .milliseconds(300)
            try await withPool(configuration, size: 2) { redis async throws in
                #expect(try await redis.ping() == "PONG")
                // Without the deadline, DEBUG SLEEP would simply answer OK after 2 s.
                let error = await #expect(throws: RedisUnavailableError.self) { _ = try await redis.send(["DEBUG", "SLEEP", "2"]) }
                #expect(error?.message.contains("did not answer DEBUG within") == true)
                // Redis is still asleep: the other connection times out too, then everything works again.
                try await waitUntil { (try? await redis.ping()) == "PONG" }
                #expect(try await redis.set("after", to: "ok"))
                #expect(try await redis.get("after") == "ok")
            }
        }
    }

    @Test("AUTH with a password and SELECT of a database happen on every connection")
    func authAndSelect() async throws {
        try await withRedisServer(extraArguments: ["--requirepass", "s3cret"]) { server async throws in
            for version in [RedisProtocolVersion.resp2, .resp3] {
                var configuration = server.configuration.with(protocol: version)
                configuration.password = "s3cret"
                configuration.database = 3
                configuration.clientName = "lab-test"
                try await withPool(configuration, size: 2) { redis async throws in
                    _ = try await redis.set("in3", to: "yes")
                    #expect(try await redis.send(["CLIENT", "GETNAME"]).string == "lab-test")
                }
                configuration.database = 0
                try await withPool(configuration, size: 1) { redis async throws in
                    #expect(try await redis.get("in3") == nil)
                    _ = try await redis.send(["FLUSHALL"])
                }
            }
            var wrong = server.configuration
            wrong.password = "nope"
            let error = await #expect(throws: RedisUnavailableError.self) { _ = try await RedisConnection.connect(configuration: wrong) }
            #expect(error?.message.contains("refused the login") == true)
        }
    }

    @Test("a server that refuses HELLO 3 gets RESP2, transparently")
    func fallsBackToRESP2() async throws {
        try await withRedisServer(extraArguments: ["--rename-command", "HELLO", ""]) { server async throws in
            let connection = try await RedisConnection.connect(configuration: server.configuration)
            #expect(connection.protocolVersion == .resp2)
            _ = try await connection.hset("h", ["a": "1"])
            #expect(try await connection.hgetall("h") == ["a": "1"])
            await connection.close()
        }
        try await withRedisServer { server async throws in
            let connection = try await RedisConnection.connect(configuration: server.configuration)
            #expect(connection.protocolVersion == .resp3)
            await connection.close()
        }
    }

    @Test("a blocked XREADGROUP on its own connection does not stall pooled commands")
    func blockingReadDoesNotStallThePool() async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration, size: 2) { redis async throws in
                _ = try await redis.xgroupCreate("queue", group: "g")
                let readDone = Locked(false)
                let reader = Task {
                    defer { readDone.withLock { $0 = true } }
                    return try await redis.withDedicatedConnection { connection in
                        try await connection.xreadgroup(group: "g", consumer: "c", streams: ["queue": ">"], block: .seconds(60))
                    }
                }
                // The read blocks until an entry arrives; meanwhile 500 pooled commands go through.
                try await waitUntil { try await redis.send(["CLIENT", "LIST", "TYPE", "normal"]).string?.contains("cmd=xreadgroup") == true }
                for number in 0..<500 { _ = try await redis.set("k\(number)", to: "v") }
                #expect(readDone.withLock { $0 } == false, "the read should still be blocked")
                // And the blocked read gets the entry added meanwhile.
                let id = try await redis.xadd("queue", fields: ["job": "1"])
                let read = try await reader.value
                #expect(read["queue"]?.map(\.id) == [id])
                // Nothing arrives: an empty result after the block time, not an error or a timeout.
                let empty = try await redis.withDedicatedConnection { connection in
                    try await connection.xreadgroup(group: "g", consumer: "c", streams: ["queue": ">"], block: .milliseconds(200))
                }
                #expect(empty.isEmpty)
            }
        }
    }

    @Test("a subscriber that reads nothing for a while loses no message and stalls no other connection")
    func slowSubscriber() async throws {
        try await withRedisServer { server async throws in
            try await withPool(server.configuration, size: 2) { redis async throws in
                let subscription = try await redis.subscribe(to: ["firehose"])
                let count = 20_000
                let start = Locked(false)
                let consumer = Task {
                    // As slow as a subscriber gets: it reads nothing until everything is published, so the
                    // client stops reading (1,000 buffered) and Redis keeps the rest in its output buffer.
                    while !start.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                    var received = 0
                    var inOrder = true
                    for try await message in subscription {
                        if message.payload != String(received) { inOrder = false }
                        received += 1
                        if received == count { break }
                    }
                    return (received, inOrder)
                }
                let payload = (0..<count).map { RedisCommand.publish("firehose", String($0)) }
                for batch in stride(from: 0, to: count, by: 1000) {
                    let delivered = try await redis.pipeline(Array(payload[batch..<batch + 1000]))
                    #expect(delivered.allSatisfy { $0.int == 1 })
                    // Other connections keep working while the subscriber lags (a stall would hang here).
                    #expect(try await redis.ping() == "PONG")
                }
                let info = try await redis.info("clients")
                #expect(info["connected_clients"].flatMap { Int($0) } ?? 0 >= 3)
                start.withLock { $0 = true }
                let (received, inOrder) = try await consumer.value
                #expect(received == count)
                #expect(inOrder)
            }
        }
    }
}
