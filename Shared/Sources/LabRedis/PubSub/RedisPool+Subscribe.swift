import NIOCore

extension RedisPool {
    /// Subscribes to `channels` (`SUBSCRIBE`) and `patterns` (`PSUBSCRIBE`, e.g. `room.*`) on a connection
    /// of its own, and returns once Redis has confirmed them. Messages published with ``publish(_:to:)``
    /// (on the pool, from any server instance) arrive in order.
    /// - Throws: ``RedisUnavailableError`` when Redis cannot be reached.
    public func subscribe(to channels: [String], patterns: [String] = []) async throws -> RedisSubscription {
        let connection = try await RedisConnection.connect(
            configuration: self.configuration,
            eventLoop: self.eventLoopGroup.any(),
            metrics: self.metrics
        )
        do {
            return try await RedisSubscription.open(connection: connection, channels: channels, patterns: patterns)
        } catch {
            await connection.close()
            throw error
        }
    }
}
