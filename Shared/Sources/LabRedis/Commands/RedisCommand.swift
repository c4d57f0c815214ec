import NIOCore

/// One Redis command, already in wire form (a RESP array of bulk strings), with the name metrics use.
///
/// Typed commands build these with the static helpers (`RedisCommand.get("k")`, `.set("k", to: "v")`...), so
/// the same command can be sent alone, in a ``RedisCommands/pipeline(_:)`` or inside a
/// ``RedisCommands/transaction(_:)``. `RedisCommand(["OBJECT", "ENCODING", "k"])` sends anything else.
public struct RedisCommand: Sendable {
    /// The command's name in upper case (`GET`, `XREADGROUP`): the `command` label of the metrics.
    public let name: String
    /// The RESP bytes written to the socket.
    let bytes: ByteBuffer
    /// How long Redis may hold the reply on purpose (a `BLOCK` timeout), added to the command's deadline.
    var blockingTime: Duration = .zero

    /// A command from its words, exactly as `redis-cli` takes them: `RedisCommand(["SET", "k", "v"])`.
    public init(_ arguments: [String]) {
        precondition(!arguments.isEmpty, "a Redis command needs at least its name")
        self.init(name: arguments[0].uppercased(), arguments: arguments.dropFirst())
    }

    /// A command whose name is known: `name` (already upper case) is sent first, then `arguments`.
    init<Arguments: Collection<String>>(name: String, arguments: Arguments) {
        self.name = name
        var length = 16 + name.utf8.count
        for argument in arguments { length += argument.utf8.count + 16 }
        var buffer = ByteBuffer()
        buffer.reserveCapacity(length)
        buffer.writeStaticString("*")
        buffer.writeDecimal(arguments.count + 1)
        buffer.writeStaticString("\r\n")
        buffer.writeBulkString(name)
        for argument in arguments { buffer.writeBulkString(argument) }
        self.bytes = buffer
    }

    /// A command built by a typed helper: `RedisCommand("GET", key)`.
    init(_ name: String, _ arguments: String...) {
        self.init(name: name, arguments: arguments)
    }

    /// Commands that make a connection stop answering one reply per command (pub/sub, `MONITOR`,
    /// `CLIENT REPLY`) or change what the next caller of a pooled connection gets (`SELECT`, `HELLO`,
    /// `AUTH`, `RESET`, `QUIT`). ``RedisPool`` refuses them, with the API to use instead.
    var unsafeOnSharedConnection: String? {
        switch self.name {
        case "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE":
            return "\(self.name) turns a connection into a subscriber: use `pool.subscribe(to:)`, which gives it a connection of its own"
        case "MONITOR", "CLIENT":
            return self.name == "MONITOR" || self.isClientReply
                ? "\(self.name) changes how the connection answers: run it with redis-cli instead" : nil
        case "HELLO" where self.bytes.readableBytesView.starts(with: "*1\r\n".utf8):
            return nil  // bare HELLO only reports the connection's settings
        case "SELECT", "HELLO", "AUTH", "RESET", "QUIT":
            return "\(self.name) would change the connection for every later user of the pool: "
                + "set it in RedisConfiguration (database, username, password) instead"
        default:
            return nil
        }
    }

    private var isClientReply: Bool {
        // `CLIENT REPLY ...`: the second word decides; find it in the wire bytes without keeping the words around.
        String(buffer: self.bytes).uppercased().contains("\r\nREPLY\r\n")
    }
}

extension ByteBuffer {
    /// `$<length>\r\n<bytes>\r\n`
    mutating func writeBulkString(_ text: String) {
        self.writeStaticString("$")
        self.writeDecimal(text.utf8.count)
        self.writeStaticString("\r\n")
        self.writeString(text)
        self.writeStaticString("\r\n")
    }

    /// A non-negative integer in ASCII, without going through `String`.
    mutating func writeDecimal(_ value: Int) {
        if value < 10 {
            self.writeInteger(UInt8(ascii: "0") + UInt8(value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { storage in
            while rest > 0 {
                storage[23 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            }
            self.writeBytes(UnsafeRawBufferPointer(rebasing: storage[(24 - count)...]))
        }
    }
}
