import Dispatch
import LabKit
import LabRedis
import Logging
import Synchronization

/// Runs `body` with a pool on `configuration`, the pool running as it would as a service, and stops it
/// afterwards.
func withPool<Result: Sendable>(
    _ configuration: RedisConfiguration,
    size: Int = 4,
    acquireTimeout: Duration = .seconds(30),
    _ body: (RedisPool) async throws -> Result
) async throws -> Result {
    let pool = RedisPool(configuration: configuration, size: size, acquireTimeout: acquireTimeout, logger: Logger(label: "test.redis"))
    let task = Task { try await pool.run() }
    do {
        let result = try await body(pool)
        task.cancel()
        _ = await task.result
        return result
    } catch {
        task.cancel()
        _ = await task.result
        throw error
    }
}

/// Starts a private Redis, runs `body` with it, stops it.
func withRedisServer<Result: Sendable>(extraArguments: [String] = [], _ body: (RedisServerProcess) async throws -> Result) async throws -> Result {
    let server = try await RedisServerProcess.start(extraArguments: extraArguments)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

extension RedisConfiguration {
    func with(protocol version: RedisProtocolVersion) -> RedisConfiguration {
        var copy = self
        copy.protocolVersion = version
        return copy
    }
}

/// A value behind a lock that tasks can share (a `Mutex` cannot be captured by an escaping closure).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        self.mutex = Mutex(value)
    }

    func withLock<Result: Sendable>(_ body: (inout Value) -> Result) -> Result {
        self.mutex.withLock { body(&$0) }
    }
}

/// `LocalHTTP.get` on a thread of its own: it blocks, and a blocked test thread stalls the server under test.
func httpGet(port: Int, path: String) async -> LocalHTTP.Response? {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: LocalHTTP.get(port: port, path: path)) }
    }
}
