/// Redis sent bytes that are not valid RESP (or something that is not Redis answered on its port).
/// The connection is closed: after a malformed reply, no later reply can be matched to its command.
public struct RedisProtocolError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { "malformed reply from Redis: \(self.message)" }
}
