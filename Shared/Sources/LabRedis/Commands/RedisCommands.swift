/// Anything that runs Redis commands: the pool (``RedisPool``, each command on a connection it lends) and a
/// single connection (``RedisConnection``). The typed commands (`get`, `hset`, `zadd`, `xadd`...) are
/// extensions of this protocol, so they work the same on both.
public protocol RedisCommands: Sendable {
    /// Sends one command and returns its reply.
    /// - Throws: ``RedisServerError`` when Redis refuses it, ``RedisUnavailableError`` when Redis is down,
    ///   unreachable or too slow.
    func send(_ command: RedisCommand) async throws -> RESPValue

    /// Sends several commands in one write on one connection and returns their replies in order (a refused
    /// command has its ``RESPValue/error(_:)`` in place).
    func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue]
}

extension RedisCommands {
    /// Sends any command, words as `redis-cli` takes them, and returns the raw reply:
    /// `try await redis.send(["OBJECT", "ENCODING", "user:1"])`.
    ///
    /// A blocking command sent this way (`BLPOP key 2`) gets only the configured `commandTimeout`, so give
    /// it a shorter timeout of its own, and a connection of its own (``RedisPool/withDedicatedConnection(_:)``).
    public func send(_ arguments: [String]) async throws -> RESPValue {
        try await self.send(RedisCommand(arguments))
    }

    /// Runs `commands` as one `MULTI` ... `EXEC` transaction on one connection: Redis runs them all, with no
    /// other client's command in between. Returns each command's reply (an error reply in place for one that
    /// failed while running), or nil when a key `WATCH`ed on the same connection changed (then nothing ran).
    /// - Throws: ``RedisServerError`` (`EXECABORT`) when Redis refused to queue one of them (a syntax error):
    ///   then none ran.
    public func transaction(_ commands: [RedisCommand]) async throws -> [RESPValue]? {
        let replies = try await self.pipeline([RedisCommand("MULTI")] + commands + [RedisCommand("EXEC")])
        if case .error(let message) = replies[0] { throw RedisServerError(message) }
        switch replies[replies.count - 1].withoutAttributes {
        case .null:
            return nil
        case .error(let message):
            throw RedisServerError(message)
        case .array(let results):
            return results
        case let other:
            throw RedisClientError("EXEC answered \(other) instead of the transaction's replies")
        }
    }
}

extension RESPValue {
    /// Throws the error this value is, for replies inside pipelines and transactions.
    func throwingError() throws -> RESPValue {
        if case .error(let message) = self.withoutAttributes { throw RedisServerError(message) }
        return self
    }

    /// The reply of a typed command whose shape was not the documented one.
    func unexpected(_ command: String) -> RedisClientError {
        RedisClientError("unexpected reply to \(command): \(self)")
    }
}
