/// How long a key lives, for `SET ... EX/PX` and cache entries.
public enum RedisExpiration: Sendable, Hashable {
    case seconds(Int)
    case milliseconds(Int)

    var arguments: [String] {
        switch self {
        case .seconds(let seconds): return ["EX", String(seconds)]
        case .milliseconds(let milliseconds): return ["PX", String(milliseconds)]
        }
    }
}

/// When `SET` writes: always, only if the key does not exist yet (`NX`, a lock or "first one wins"), or
/// only if it exists (`XX`).
public enum RedisSetCondition: Sendable, Hashable {
    case always
    case ifNotExists
    case ifExists
}

/// What `TTL` says about a key.
public enum RedisTTL: Sendable, Hashable {
    case noSuchKey
    case noExpiry
    case expires(inSeconds: Int)
}

extension RedisCommand {
    public static func get(_ key: String) -> RedisCommand { RedisCommand("GET", key) }

    public static func set(
        _ key: String,
        to value: String,
        expiration: RedisExpiration? = nil,
        condition: RedisSetCondition = .always,
        returnOld: Bool = false
    ) -> RedisCommand {
        var arguments = [key, value] + (expiration?.arguments ?? [])
        switch condition {
        case .always: break
        case .ifNotExists: arguments.append("NX")
        case .ifExists: arguments.append("XX")
        }
        if returnOld { arguments.append("GET") }
        return RedisCommand(name: "SET", arguments: arguments)
    }

    public static func mget(_ keys: [String]) -> RedisCommand { RedisCommand(name: "MGET", arguments: keys) }
    public static func del(_ keys: [String]) -> RedisCommand { RedisCommand(name: "DEL", arguments: keys) }
    public static func incr(_ key: String) -> RedisCommand { RedisCommand("INCR", key) }
    public static func incrby(_ key: String, _ amount: Int) -> RedisCommand { RedisCommand("INCRBY", key, String(amount)) }
    public static func expire(_ key: String, seconds: Int) -> RedisCommand { RedisCommand("EXPIRE", key, String(seconds)) }
    public static func ttl(_ key: String) -> RedisCommand { RedisCommand("TTL", key) }
}

extension RedisCommands {
    /// `GET key`: the value, or nil when the key does not exist.
    public func get(_ key: String) async throws -> String? {
        try await self.send(.get(key)).string
    }

    /// `SET key value [EX|PX] [NX|XX]`. Returns false when the condition kept it from writing.
    @discardableResult
    public func set(
        _ key: String,
        to value: String,
        expiration: RedisExpiration? = nil,
        condition: RedisSetCondition = .always
    ) async throws -> Bool {
        !(try await self.send(.set(key, to: value, expiration: expiration, condition: condition)).isNull)
    }

    /// `SET key value ... GET`: writes (if the condition allows) and returns the value it replaced, nil when
    /// there was none.
    public func setReturningOld(
        _ key: String,
        to value: String,
        expiration: RedisExpiration? = nil,
        condition: RedisSetCondition = .always
    ) async throws -> String? {
        try await self.send(.set(key, to: value, expiration: expiration, condition: condition, returnOld: true)).string
    }

    /// `MGET key...`: one value per key, nil where a key does not exist.
    public func mget(_ keys: [String]) async throws -> [String?] {
        let reply = try await self.send(.mget(keys))
        guard let values = reply.array else { throw reply.unexpected("MGET") }
        return values.map(\.string)
    }

    /// `DEL key...`: how many of the keys existed.
    @discardableResult
    public func del(_ keys: String...) async throws -> Int {
        try await self.integer(.del(keys))
    }

    /// `INCR key`: the counter after adding one (atomic: two callers never get the same number).
    @discardableResult
    public func incr(_ key: String) async throws -> Int {
        try await self.integer(.incr(key))
    }

    /// `INCRBY key amount`.
    @discardableResult
    public func incrby(_ key: String, _ amount: Int) async throws -> Int {
        try await self.integer(.incrby(key, amount))
    }

    /// `EXPIRE key seconds`: false when the key does not exist.
    @discardableResult
    public func expire(_ key: String, seconds: Int) async throws -> Bool {
        try await self.integer(.expire(key, seconds: seconds)) == 1
    }

    /// `TTL key`.
    public func ttl(_ key: String) async throws -> RedisTTL {
        switch try await self.integer(.ttl(key)) {
        case -2: return .noSuchKey
        case -1: return .noExpiry
        case let seconds: return .expires(inSeconds: seconds)
        }
    }

    /// Sends `command` and returns its integer reply.
    func integer(_ command: RedisCommand) async throws -> Int {
        let reply = try await self.send(command)
        guard let number = reply.int else { throw reply.unexpected(command.name) }
        return number
    }
}
