import NIOCore

extension RESPValue {
    /// Writes this value in RESP3 (RESP2 for the types both share), for tests and fake servers: the client
    /// itself only ever sends commands (``RedisCommand``).
    ///
    /// Errors containing a line break are written as blob errors (`!`), others as simple errors (`-`), so
    /// that decoding the bytes gives back the same value.
    public func encode(into buffer: inout ByteBuffer) {
        switch self {
        case .simpleString(let text):
            buffer.writeLine("+", text)
        case .error(let message):
            if message.utf8.contains(where: { $0 == UInt8(ascii: "\r") || $0 == UInt8(ascii: "\n") }) {
                buffer.writeBlob("!", ByteBuffer(string: message))
            } else {
                buffer.writeLine("-", message)
            }
        case .integer(let number):
            buffer.writeLine(":", String(number))
        case .bulkString(let bytes):
            buffer.writeBlob("$", bytes)
        case .null:
            buffer.writeStaticString("_\r\n")
        case .array(let values):
            buffer.writeAggregate("*", values)
        case .double(let number):
            let text = number.isNaN ? "nan" : number.isInfinite ? (number < 0 ? "-inf" : "inf") : "\(number)"
            buffer.writeLine(",", text)
        case .boolean(let flag):
            buffer.writeStaticString(flag ? "#t\r\n" : "#f\r\n")
        case .bigNumber(let digits):
            buffer.writeLine("(", digits)
        case .verbatimString(let format, let text):
            buffer.writeBlob("=", ByteBuffer(string: format + ":" + text))
        case .map(let pairs):
            buffer.writePairs("%", pairs)
        case .set(let values):
            buffer.writeAggregate("~", values)
        case .attribute(let attributes, let value):
            buffer.writePairs("|", attributes)
            value.encode(into: &buffer)
        case .push(let values):
            buffer.writeAggregate(">", values)
        }
    }

    /// The value's RESP bytes in a new buffer.
    public var encoded: ByteBuffer {
        var buffer = ByteBuffer()
        self.encode(into: &buffer)
        return buffer
    }
}

extension ByteBuffer {
    fileprivate mutating func writeLine(_ type: StaticString, _ text: String) {
        self.writeStaticString(type)
        self.writeString(text)
        self.writeStaticString("\r\n")
    }

    fileprivate mutating func writeBlob(_ type: StaticString, _ bytes: ByteBuffer) {
        self.writeLine(type, String(bytes.readableBytes))
        self.writeImmutableBuffer(bytes)
        self.writeStaticString("\r\n")
    }

    fileprivate mutating func writeAggregate(_ type: StaticString, _ values: [RESPValue]) {
        self.writeLine(type, String(values.count))
        for value in values { value.encode(into: &self) }
    }

    fileprivate mutating func writePairs(_ type: StaticString, _ pairs: [RESPPair]) {
        self.writeLine(type, String(pairs.count))
        for pair in pairs {
            pair.key.encode(into: &self)
            pair.value.encode(into: &self)
        }
    }
}
