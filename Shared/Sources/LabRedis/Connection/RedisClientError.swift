/// The client was used in a way that cannot work (a subscriber command on the pool, a reply of an
/// unexpected shape for a typed command); the message says what to do instead.
public struct RedisClientError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { self.message }
}
