/// Redis refused a command: the `-ERR ...` reply, as an error a caller can catch (`WRONGTYPE`, `NOSCRIPT`...).
///
/// Not an outage: the connection is fine and the next command works. A server turns it into a 500, since
/// it is a bug in the calling code (a wrong type, a bad argument), not something to retry.
public struct RedisServerError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The whole message, `WRONGTYPE Operation against a key holding the wrong kind of value`.
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    /// The first word in upper case (`ERR`, `WRONGTYPE`, `NOSCRIPT`, `BUSYGROUP`): what code checks.
    public var code: String {
        String(self.message.prefix { $0 != " " })
    }

    public var description: String { "Redis error: \(self.message)" }
}
