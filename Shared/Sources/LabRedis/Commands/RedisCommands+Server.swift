extension RedisCommand {
    public static func ping() -> RedisCommand { RedisCommand("PING") }
    public static func flushdb() -> RedisCommand { RedisCommand("FLUSHDB") }
    public static func info(_ section: String? = nil) -> RedisCommand { RedisCommand(name: "INFO", arguments: section.map { [$0] } ?? []) }
    public static func publish(_ channel: String, _ message: String) -> RedisCommand { RedisCommand("PUBLISH", channel, message) }
}

extension RedisCommands {
    /// `PING`: "PONG" when Redis is there (a health check).
    @discardableResult
    public func ping() async throws -> String {
        let reply = try await self.send(.ping())
        guard let text = reply.string else { throw reply.unexpected("PING") }
        return text
    }

    /// `FLUSHDB`: deletes every key of the selected database (tests, `./lab reset`).
    public func flushdb() async throws {
        _ = try await self.send(.flushdb())
    }

    /// `INFO [section]`, parsed: `try await redis.info().sections["memory"]?["used_memory"]`.
    public func info(_ section: String? = nil) async throws -> RedisInfo {
        let reply = try await self.send(.info(section))
        guard let text = reply.string else { throw reply.unexpected("INFO") }
        return RedisInfo(parsing: text)
    }

    /// `PUBLISH channel message`: how many subscribers received it (0 when nobody listens: pub/sub keeps
    /// nothing for later).
    @discardableResult
    public func publish(_ message: String, to channel: String) async throws -> Int {
        try await self.integer(.publish(channel, message))
    }
}

/// What `INFO` reports, by section (`server`, `clients`, `memory`, `stats`, `keyspace`...) and field.
public struct RedisInfo: Sendable, Hashable {
    /// Section names in lower case, as `INFO <section>` takes them; fields as Redis names them.
    public var sections: [String: [String: String]]

    /// Parses the text `INFO` returns: `# Section` headers, then `field:value` lines.
    public init(parsing text: String) {
        var sections: [String: [String: String]] = [:]
        var current = ""
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("#") {
                current = line.dropFirst().trimmingSpaces().lowercased()
                sections[current, default: [:]] = [:]
            } else if let colon = line.firstIndex(of: ":") {
                sections[current, default: [:]][String(line[..<colon])] = String(line[line.index(after: colon)...])
            }
        }
        self.sections = sections
    }

    /// A field from whichever section holds it: `info["connected_clients"]`.
    public subscript(field: String) -> String? {
        for fields in self.sections.values {
            if let value = fields[field] { return value }
        }
        return nil
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
