extension RedisCommand {
    public static func hset(_ key: String, _ fields: [String: String]) -> RedisCommand {
        RedisCommand(name: "HSET", arguments: [key] + fields.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] })
    }

    public static func hget(_ key: String, _ field: String) -> RedisCommand { RedisCommand("HGET", key, field) }
    public static func hgetall(_ key: String) -> RedisCommand { RedisCommand("HGETALL", key) }
    public static func hincrby(_ key: String, _ field: String, _ amount: Int) -> RedisCommand {
        RedisCommand("HINCRBY", key, field, String(amount))
    }
    public static func hdel(_ key: String, _ fields: [String]) -> RedisCommand { RedisCommand(name: "HDEL", arguments: [key] + fields) }
}

extension RedisCommands {
    /// `HSET key field value...`: how many fields were new.
    @discardableResult
    public func hset(_ key: String, _ fields: [String: String]) async throws -> Int {
        try await self.integer(.hset(key, fields))
    }

    /// `HGET key field`: nil when the key or the field does not exist.
    public func hget(_ key: String, _ field: String) async throws -> String? {
        try await self.send(.hget(key, field)).string
    }

    /// `HGETALL key`: every field and value (empty when the key does not exist).
    public func hgetall(_ key: String) async throws -> [String: String] {
        let reply = try await self.send(.hgetall(key))
        guard let pairs = reply.pairs else { throw reply.unexpected("HGETALL") }
        var fields: [String: String] = [:]
        for pair in pairs {
            guard let field = pair.key.string, let value = pair.value.string else { throw reply.unexpected("HGETALL") }
            fields[field] = value
        }
        return fields
    }

    /// `HINCRBY key field amount`: the field's value afterwards.
    @discardableResult
    public func hincrby(_ key: String, _ field: String, by amount: Int = 1) async throws -> Int {
        try await self.integer(.hincrby(key, field, amount))
    }

    /// `HDEL key field...`: how many fields existed.
    @discardableResult
    public func hdel(_ key: String, _ fields: String...) async throws -> Int {
        try await self.integer(.hdel(key, fields))
    }
}
