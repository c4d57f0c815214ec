/// One entry of a stream: its id (`1700000000000-0`) and its fields.
public struct RedisStreamEntry: Sendable, Hashable {
    public var id: String
    public var fields: [String: String]

    public init(id: String, fields: [String: String]) {
        self.id = id
        self.fields = fields
    }
}

/// One message delivered to a consumer group and not acknowledged yet (`XPENDING ... start end count`).
public struct RedisPendingEntry: Sendable, Hashable {
    public var id: String
    public var consumer: String
    /// Time since it was last delivered.
    public var idle: Duration
    /// How many times it was delivered (more than 1: a consumer died or timed out holding it).
    public var deliveries: Int
}

/// What `XPENDING key group` summarises: how many messages wait for an `XACK`, and by whom.
public struct RedisPendingSummary: Sendable, Hashable {
    public var count: Int
    public var smallestID: String?
    public var largestID: String?
    public var consumers: [String: Int]
}

/// What `XAUTOCLAIM` hands over: entries idle too long at another consumer, now this consumer's.
public struct RedisAutoClaim: Sendable, Hashable {
    /// Where the next `XAUTOCLAIM` call should start (`0-0` when the scan went all the way round).
    public var nextStart: String
    public var entries: [RedisStreamEntry]
    /// Pending ids whose entries were deleted from the stream meanwhile (dropped from the pending list).
    public var deletedIDs: [String]
}

extension RedisCommand {
    /// `XADD key [MAXLEN ~ n] * field value...`
    public static func xadd(_ key: String, id: String = "*", fields: [String: String], maxLength: Int? = nil) -> RedisCommand {
        let trim = maxLength.map { ["MAXLEN", "~", String($0)] } ?? []
        return RedisCommand(name: "XADD", arguments: [key] + trim + [id] + fields.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] })
    }

    /// `XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] STREAMS key... id...`
    public static func xreadgroup(
        group: String,
        consumer: String,
        streams: [String: String],
        count: Int? = nil,
        block: Duration? = nil
    ) -> RedisCommand {
        let sorted = streams.sorted { $0.key < $1.key }
        var arguments = ["GROUP", group, consumer]
        if let count { arguments += ["COUNT", String(count)] }
        if let block { arguments += ["BLOCK", String(max(1, block.milliseconds))] }
        arguments += ["STREAMS"] + sorted.map(\.key) + sorted.map(\.value)
        var command = RedisCommand(name: "XREADGROUP", arguments: arguments)
        command.blockingTime = block ?? .zero
        return command
    }

    public static func xack(_ key: String, group: String, ids: [String]) -> RedisCommand {
        RedisCommand(name: "XACK", arguments: [key, group] + ids)
    }

    public static func xtrim(_ key: String, maxLength: Int, approximate: Bool = true) -> RedisCommand {
        RedisCommand(name: "XTRIM", arguments: [key, "MAXLEN"] + (approximate ? ["~"] : []) + [String(maxLength)])
    }
}

extension RedisCommands {
    /// `XADD`: appends an entry and returns its id. `maxLength` trims the stream to about that many
    /// entries (`MAXLEN ~`, cheap) so a queue never grows without bound.
    @discardableResult
    public func xadd(_ key: String, fields: [String: String], maxLength: Int? = nil) async throws -> String {
        let reply = try await self.send(.xadd(key, fields: fields, maxLength: maxLength))
        guard let id = reply.string else { throw reply.unexpected("XADD") }
        return id
    }

    /// `XGROUP CREATE key group id MKSTREAM`: creates a consumer group (and the stream if needed) that
    /// starts reading after `startID` (`$`: only new entries; `0`: everything). Returns false when the
    /// group already exists, so every worker can call it at start-up.
    @discardableResult
    public func xgroupCreate(_ key: String, group: String, startID: String = "$") async throws -> Bool {
        do {
            _ = try await self.send(RedisCommand("XGROUP", "CREATE", key, group, startID, "MKSTREAM"))
            return true
        } catch let error as RedisServerError where error.code == "BUSYGROUP" {
            return false
        }
    }

    /// `XREADGROUP` without `BLOCK`: up to `count` entries for `consumer`, per stream. Pass `">"` as a
    /// stream's id for entries never delivered to the group, or `"0"` for this consumer's own pending ones.
    /// To wait for new entries, use ``RedisConnection/xreadgroup(group:consumer:streams:count:block:)`` on a
    /// dedicated connection (``RedisPool/withDedicatedConnection(_:)``), never a pooled one.
    public func xreadgroup(group: String, consumer: String, streams: [String: String], count: Int? = nil) async throws -> [String: [RedisStreamEntry]]
    {
        try Self.streamEntries(try await self.send(.xreadgroup(group: group, consumer: consumer, streams: streams, count: count)))
    }

    /// `XACK key group id...`: how many were pending and are now acknowledged.
    @discardableResult
    public func xack(_ key: String, group: String, ids: [String]) async throws -> Int {
        try await self.integer(.xack(key, group: group, ids: ids))
    }

    /// `XPENDING key group`: the summary.
    public func xpending(_ key: String, group: String) async throws -> RedisPendingSummary {
        let reply = try await self.send(RedisCommand("XPENDING", key, group))
        guard let items = reply.array, items.count == 4, let count = items[0].int else { throw reply.unexpected("XPENDING") }
        var consumers: [String: Int] = [:]
        for consumer in items[3].array ?? [] {
            guard let pair = consumer.array, pair.count == 2, let name = pair[0].string, let number = pair[1].int else {
                throw reply.unexpected("XPENDING")
            }
            consumers[name] = number
        }
        return RedisPendingSummary(count: count, smallestID: items[1].string, largestID: items[2].string, consumers: consumers)
    }

    /// `XPENDING key group [IDLE ms] start end count [consumer]`: pending entries one by one.
    public func xpending(
        _ key: String,
        group: String,
        start: String = "-",
        end: String = "+",
        count: Int,
        consumer: String? = nil,
        minIdle: Duration? = nil
    ) async throws -> [RedisPendingEntry] {
        var arguments = [key, group]
        if let minIdle { arguments += ["IDLE", String(minIdle.milliseconds)] }
        arguments += [start, end, String(count)] + (consumer.map { [$0] } ?? [])
        let reply = try await self.send(RedisCommand(name: "XPENDING", arguments: arguments))
        guard let items = reply.array else { throw reply.unexpected("XPENDING") }
        return try items.map { item in
            guard let fields = item.array, fields.count == 4, let id = fields[0].string, let name = fields[1].string,
                let idle = fields[2].int, let deliveries = fields[3].int
            else { throw reply.unexpected("XPENDING") }
            return RedisPendingEntry(id: id, consumer: name, idle: .milliseconds(idle), deliveries: deliveries)
        }
    }

    /// `XAUTOCLAIM key group consumer min-idle start [COUNT n]`: takes over entries another consumer has
    /// held for at least `minIdle` without acknowledging (it crashed, or is stuck).
    public func xautoclaim(
        _ key: String,
        group: String,
        consumer: String,
        minIdle: Duration,
        start: String = "0-0",
        count: Int? = nil
    ) async throws -> RedisAutoClaim {
        var arguments = [key, group, consumer, String(minIdle.milliseconds), start]
        if let count { arguments += ["COUNT", String(count)] }
        let reply = try await self.send(RedisCommand(name: "XAUTOCLAIM", arguments: arguments))
        guard let items = reply.array, items.count >= 2, let next = items[0].string, let entries = items[1].array else {
            throw reply.unexpected("XAUTOCLAIM")
        }
        let deleted = items.count > 2 ? (items[2].array ?? []).compactMap(\.string) : []
        return RedisAutoClaim(nextStart: next, entries: try entries.compactMap(Self.streamEntry), deletedIDs: deleted)
    }

    /// `XTRIM key MAXLEN [~] n`: how many entries were removed.
    @discardableResult
    public func xtrim(_ key: String, maxLength: Int, approximate: Bool = true) async throws -> Int {
        try await self.integer(.xtrim(key, maxLength: maxLength, approximate: approximate))
    }

    /// `XLEN key`.
    public func xlen(_ key: String) async throws -> Int {
        try await self.integer(RedisCommand("XLEN", key))
    }

    /// Entries by stream from an `XREAD`/`XREADGROUP` reply: a RESP3 map, or RESP2's list of
    /// `[stream, entries]` pairs; null (nothing new before the block ran out) is empty.
    static func streamEntries(_ reply: RESPValue) throws -> [String: [RedisStreamEntry]] {
        if reply.isNull { return [:] }
        let streams: [RESPPair]
        if case .map(let pairs) = reply.withoutAttributes {
            streams = pairs
        } else if let items = reply.array {
            streams = try items.map { item in
                guard let pair = item.array, pair.count == 2 else { throw reply.unexpected("XREADGROUP") }
                return RESPPair(key: pair[0], value: pair[1])
            }
        } else {
            throw reply.unexpected("XREADGROUP")
        }
        var result: [String: [RedisStreamEntry]] = [:]
        for stream in streams {
            guard let name = stream.key.string, let entries = stream.value.array else { throw reply.unexpected("XREADGROUP") }
            result[name] = try entries.compactMap(Self.streamEntry)
        }
        return result
    }

    /// One `[id, [field, value...]]`; nil for an entry deleted since it was delivered (`[id, null]`).
    static func streamEntry(_ value: RESPValue) throws -> RedisStreamEntry? {
        guard let parts = value.array, parts.count == 2, let id = parts[0].string else { throw value.unexpected("a stream read") }
        if parts[1].isNull { return nil }
        guard let pairs = parts[1].pairs else { throw value.unexpected("a stream read") }
        var fields: [String: String] = [:]
        for pair in pairs {
            guard let field = pair.key.string, let text = pair.value.string else { throw value.unexpected("a stream read") }
            fields[field] = text
        }
        return RedisStreamEntry(id: id, fields: fields)
    }
}

extension RedisConnection {
    /// `XREADGROUP ... BLOCK ms`: waits up to `block` for new entries (an empty result when none came).
    ///
    /// Only on a connection of its own: while Redis holds the reply, nothing else can use the connection.
    /// Get one with ``RedisPool/withDedicatedConnection(_:)``; the command's deadline is the configured
    /// timeout plus `block`.
    public func xreadgroup(
        group: String,
        consumer: String,
        streams: [String: String],
        count: Int? = nil,
        block: Duration
    ) async throws -> [String: [RedisStreamEntry]] {
        try Self.streamEntries(try await self.send(.xreadgroup(group: group, consumer: consumer, streams: streams, count: count, block: block)))
    }
}

extension Duration {
    /// Whole milliseconds, as Redis takes them.
    var milliseconds: Int {
        let (seconds, attoseconds) = self.components
        return Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)
    }
}
