/// A sorted-set member and its score (a leaderboard line).
public struct RedisScoredMember: Sendable, Hashable {
    public var member: String
    public var score: Double

    public init(member: String, score: Double) {
        self.member = member
        self.score = score
    }
}

extension RedisCommand {
    public static func zadd(_ key: String, _ members: [RedisScoredMember]) -> RedisCommand {
        RedisCommand(name: "ZADD", arguments: [key] + members.flatMap { [String($0.score), $0.member] })
    }

    public static func zincrby(_ key: String, _ amount: Double, _ member: String) -> RedisCommand {
        RedisCommand("ZINCRBY", key, String(amount), member)
    }

    public static func zrange(_ key: String, _ start: Int, _ stop: Int, reverse: Bool = false, withScores: Bool = false) -> RedisCommand {
        RedisCommand(name: "ZRANGE", arguments: [key, String(start), String(stop)] + (reverse ? ["REV"] : []) + (withScores ? ["WITHSCORES"] : []))
    }

    public static func zrevrank(_ key: String, _ member: String) -> RedisCommand { RedisCommand("ZREVRANK", key, member) }
    public static func zscore(_ key: String, _ member: String) -> RedisCommand { RedisCommand("ZSCORE", key, member) }
    public static func zrem(_ key: String, _ members: [String]) -> RedisCommand { RedisCommand(name: "ZREM", arguments: [key] + members) }
}

extension RedisCommands {
    /// `ZADD key score member...`: how many members were new (existing ones get the new score).
    @discardableResult
    public func zadd(_ key: String, _ members: RedisScoredMember...) async throws -> Int {
        try await self.integer(.zadd(key, members))
    }

    /// `ZINCRBY key amount member`: the member's score afterwards.
    @discardableResult
    public func zincrby(_ key: String, by amount: Double, member: String) async throws -> Double {
        let reply = try await self.send(.zincrby(key, amount, member))
        guard let score = reply.double else { throw reply.unexpected("ZINCRBY") }
        return score
    }

    /// `ZRANGE key start stop [REV]`: members by rank (0 is the lowest score, or the highest with `reverse`;
    /// -1 is the last).
    public func zrange(_ key: String, from start: Int, to stop: Int, reverse: Bool = false) async throws -> [String] {
        let reply = try await self.send(.zrange(key, start, stop, reverse: reverse))
        guard let members = reply.array?.compactMap(\.string) else { throw reply.unexpected("ZRANGE") }
        return members
    }

    /// `ZRANGE key start stop [REV] WITHSCORES`: members by rank with their scores (a top-10 board is
    /// `zrangeWithScores(key, from: 0, to: 9, reverse: true)`).
    public func zrangeWithScores(_ key: String, from start: Int, to stop: Int, reverse: Bool = false) async throws -> [RedisScoredMember] {
        let reply = try await self.send(.zrange(key, start, stop, reverse: reverse, withScores: true))
        guard let items = reply.array else { throw reply.unexpected("ZRANGE") }
        // RESP3 sends [member, score] pairs; RESP2 one flat list alternating member and score.
        if items.allSatisfy({ $0.array?.count == 2 }) {
            return try items.map { item in
                let pair = item.array!
                guard let member = pair[0].string, let score = pair[1].double else { throw reply.unexpected("ZRANGE") }
                return RedisScoredMember(member: member, score: score)
            }
        }
        guard items.count % 2 == 0 else { throw reply.unexpected("ZRANGE") }
        return try stride(from: 0, to: items.count, by: 2).map { index in
            guard let member = items[index].string, let score = items[index + 1].double else { throw reply.unexpected("ZRANGE") }
            return RedisScoredMember(member: member, score: score)
        }
    }

    /// `ZREVRANK key member`: the member's place counting from the highest score (0 is first), nil when absent.
    public func zrevrank(_ key: String, _ member: String) async throws -> Int? {
        try await self.send(.zrevrank(key, member)).int
    }

    /// `ZSCORE key member`: nil when absent.
    public func zscore(_ key: String, _ member: String) async throws -> Double? {
        try await self.send(.zscore(key, member)).double
    }

    /// `ZREM key member...`: how many were there.
    @discardableResult
    public func zrem(_ key: String, _ members: String...) async throws -> Int {
        try await self.integer(.zrem(key, members))
    }
}
