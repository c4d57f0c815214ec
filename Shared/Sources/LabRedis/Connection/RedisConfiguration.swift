/// Where Redis is and how to talk to it: one value shared by the pool and every connection it opens.
public struct RedisConfiguration: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    /// For Redis ACL users; nil means `default`.
    public var username: String?
    /// Sent with `HELLO 3 AUTH` (or `AUTH` on RESP2) when set.
    public var password: String?
    /// The logical database (`SELECT`), 0 by default.
    public var database: Int
    /// RESP3 by default (typed maps and doubles, push frames for pub/sub); a server that refuses `HELLO 3`
    /// gets RESP2 instead, automatically.
    public var protocolVersion: RedisProtocolVersion
    /// How long one command may take before it fails with ``RedisUnavailableError`` (blocking commands get
    /// their `BLOCK` time on top). A failure boundary, so a frozen Redis never hangs a request.
    public var commandTimeout: Duration
    /// How long opening a connection may take.
    public var connectTimeout: Duration
    /// Shown by `CLIENT LIST`, so a learner can tell the lab's connections apart.
    public var clientName: String?

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        protocolVersion: RedisProtocolVersion = .resp3,
        commandTimeout: Duration = .seconds(5),
        connectTimeout: Duration = .seconds(2),
        clientName: String? = nil
    ) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
        self.protocolVersion = protocolVersion
        self.commandTimeout = commandTimeout
        self.connectTimeout = connectTimeout
        self.clientName = clientName
    }

    /// Reads `redis://[[user]:password@]host[:port][/database]`, the form `REDIS_URL` takes.
    /// - Throws: ``RedisClientError`` naming the part that is wrong.
    public init(url: String) throws {
        guard url.hasPrefix("redis://") else { throw RedisClientError("a Redis URL starts with redis://, got \(url)") }
        var rest = Substring(url.dropFirst("redis://".count))
        self.init()
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                self.username = user.isEmpty ? nil : String(user)
                self.password = String(credentials[credentials.index(after: colon)...])
            } else {
                self.password = String(credentials)
            }
        }
        if let slash = rest.firstIndex(of: "/") {
            let database = rest[rest.index(after: slash)...]
            guard database.isEmpty || Int(database) != nil else { throw RedisClientError("the database in \(url) is not a number") }
            self.database = Int(database) ?? 0
            rest = rest[..<slash]
        }
        if let colon = rest.lastIndex(of: ":") {
            guard let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port) else {
                throw RedisClientError("the port in \(url) is not a number from 1 to 65535")
            }
            self.port = port
            rest = rest[..<colon]
        }
        if !rest.isEmpty { self.host = String(rest) }
    }

    /// `127.0.0.1:6379`: where, for messages (never the password).
    public var description: String { "\(self.host):\(self.port)" }
}

/// Which RESP version a connection speaks.
public enum RedisProtocolVersion: Int, Sendable, Hashable {
    case resp2 = 2
    case resp3 = 3
}
