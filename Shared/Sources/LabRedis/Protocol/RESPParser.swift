import NIOCore

/// Reads one complete RESP2 or RESP3 value from the front of a buffer, or says it has not arrived yet.
///
/// TCP delivers a reply in pieces that can end at any byte, so parsing never assumes more than what is
/// there: an incomplete value leaves the buffer untouched and returns nil, and the next call (with more
/// bytes appended) starts again from the beginning of the value. Anything that cannot be RESP — an unknown
/// type byte, a length that is not a number, a missing `\r\n`, nesting deeper than any Redis reply —
/// throws ``RedisProtocolError`` instead of crashing or waiting for bytes that will never make sense.
struct RESPParser: Sendable {
    /// Redis's own limit for one bulk string (`proto-max-bulk-len`).
    static let maximumBulkLength = 512 * 1024 * 1024
    /// The longest simple line (status, error, number) accepted while still waiting for its `\r\n`.
    static let maximumLineLength = 64 * 1024
    /// Deeper than any reply Redis produces (`XINFO STREAM FULL` nests about six levels).
    static let maximumDepth = 100
    /// The most elements one aggregate may announce.
    static let maximumAggregateCount = Int(Int32.max)

    /// The value at the front of `buffer`, consumed; or nil (buffer untouched) when it is not complete yet.
    func parse(_ buffer: inout ByteBuffer) throws -> RESPValue? {
        let start = buffer.readerIndex
        let parsed = try buffer.withUnsafeReadableBytes { bytes -> (RESPValue, Int)? in
            var cursor = Cursor(bytes: bytes, base: start)
            guard let value = try cursor.value(in: buffer, depth: 0) else { return nil }
            return (value, cursor.position)
        }
        guard let (value, consumed) = parsed else { return nil }
        buffer.moveReaderIndex(forwardBy: consumed)
        return value
    }

    /// A read position over the readable bytes; `base` is the buffer's reader index, to cut slices.
    private struct Cursor {
        let bytes: UnsafeRawBufferPointer
        let base: Int
        var position = 0

        init(bytes: UnsafeRawBufferPointer, base: Int) {
            self.bytes = bytes
            self.base = base
        }

        mutating func value(in buffer: ByteBuffer, depth: Int) throws -> RESPValue? {
            guard depth <= RESPParser.maximumDepth else {
                throw RedisProtocolError("reply nested more than \(RESPParser.maximumDepth) levels deep")
            }
            guard self.position < self.bytes.count else { return nil }
            let type = self.bytes[self.position]
            self.position += 1
            switch type {
            case UInt8(ascii: "+"):
                return try self.line().map { .simpleString(self.text($0)) }
            case UInt8(ascii: "-"):
                return try self.line().map { .error(self.text($0)) }
            case UInt8(ascii: ":"):
                return try self.line().map { .integer(try self.integer($0)) }
            case UInt8(ascii: "$"):
                guard let length = try self.length(allowingNull: true) else { return nil }
                if length < 0 { return .null }
                return try self.blob(length: length).map { .bulkString(buffer.getSlice(at: self.base + $0.lowerBound, length: $0.count)!) }
            case UInt8(ascii: "*"):
                return try self.aggregate(in: buffer, depth: depth, allowingNull: true).map { $0.map(RESPValue.array) ?? .null }
            case UInt8(ascii: "_"):
                guard let line = try self.line() else { return nil }
                guard line.isEmpty else { throw RedisProtocolError("null (_) followed by data") }
                return .null
            case UInt8(ascii: ","):
                return try self.line().map { .double(try self.double($0)) }
            case UInt8(ascii: "#"):
                guard let line = try self.line() else { return nil }
                guard line.count == 1, self.bytes[line.lowerBound] == UInt8(ascii: "t") || self.bytes[line.lowerBound] == UInt8(ascii: "f")
                else { throw RedisProtocolError("boolean that is neither #t nor #f") }
                return .boolean(self.bytes[line.lowerBound] == UInt8(ascii: "t"))
            case UInt8(ascii: "("):
                guard let line = try self.line() else { return nil }
                return .bigNumber(try self.bigNumber(line))
            case UInt8(ascii: "!"):
                guard let length = try self.length(allowingNull: false) else { return nil }
                return try self.blob(length: length).map { .error(self.text($0)) }
            case UInt8(ascii: "="):
                guard let length = try self.length(allowingNull: false) else { return nil }
                guard let range = try self.blob(length: length) else { return nil }
                guard range.count >= 4, self.bytes[range.lowerBound + 3] == UInt8(ascii: ":") else {
                    throw RedisProtocolError("verbatim string without its three-letter format and ':'")
                }
                return .verbatimString(
                    format: self.text(range.lowerBound..<range.lowerBound + 3),
                    text: self.text(range.lowerBound + 4..<range.upperBound)
                )
            case UInt8(ascii: "~"):
                return try self.aggregate(in: buffer, depth: depth, allowingNull: false).map { .set($0 ?? []) }
            case UInt8(ascii: ">"):
                return try self.aggregate(in: buffer, depth: depth, allowingNull: false).map { .push($0 ?? []) }
            case UInt8(ascii: "%"):
                return try self.pairs(in: buffer, depth: depth).map { .map($0) }
            case UInt8(ascii: "|"):
                guard let attributes = try self.pairs(in: buffer, depth: depth) else { return nil }
                guard let value = try self.value(in: buffer, depth: depth + 1) else { return nil }
                return .attribute(attributes, value)
            default:
                throw RedisProtocolError("unknown reply type byte \(Self.describe(type))")
            }
        }

        /// The bytes up to the next `\r\n` (which is consumed), or nil when it has not arrived.
        mutating func line() throws -> Range<Int>? {
            let start = self.position
            var index = start
            let end = self.bytes.count
            while index < end {
                if self.bytes[index] == UInt8(ascii: "\r") {
                    guard index + 1 < end else { return nil }
                    guard self.bytes[index + 1] == UInt8(ascii: "\n") else {
                        throw RedisProtocolError("\\r not followed by \\n")
                    }
                    self.position = index + 2
                    return start..<index
                }
                if self.bytes[index] == UInt8(ascii: "\n") { throw RedisProtocolError("line ends in \\n without \\r") }
                index += 1
            }
            guard end - start <= RESPParser.maximumLineLength else {
                throw RedisProtocolError("a line longer than \(RESPParser.maximumLineLength) bytes without \\r\\n")
            }
            return nil
        }

        /// A length line: -1 (null, where allowed) or 0 and up to the limits.
        mutating func length(allowingNull: Bool) throws -> Int? {
            guard let line = try self.line() else { return nil }
            let length = try self.integer(line)
            if length == -1 && allowingNull { return -1 }
            guard length >= 0 else { throw RedisProtocolError("negative length \(length)") }
            guard length <= RESPParser.maximumBulkLength else { throw RedisProtocolError("length \(length) over Redis's 512 MB limit") }
            return Int(length)
        }

        /// `length` bytes followed by `\r\n`, or nil when not all of it has arrived.
        mutating func blob(length: Int) throws -> Range<Int>? {
            let start = self.position
            guard self.bytes.count - start >= length + 2 else { return nil }
            guard self.bytes[start + length] == UInt8(ascii: "\r"), self.bytes[start + length + 1] == UInt8(ascii: "\n") else {
                throw RedisProtocolError("bulk data of \(length) bytes not followed by \\r\\n")
            }
            self.position = start + length + 2
            return start..<start + length
        }

        mutating func aggregate(in buffer: ByteBuffer, depth: Int, allowingNull: Bool) throws -> [RESPValue]?? {
            guard let line = try self.line() else { return nil }
            let count = try self.integer(line)
            if count == -1 && allowingNull { return .some(nil) }
            guard count >= 0, count <= RESPParser.maximumAggregateCount else {
                throw RedisProtocolError("aggregate of \(count) elements")
            }
            // Never reserve what the peer announces before it arrives: at most one element per remaining byte.
            var values: [RESPValue] = []
            values.reserveCapacity(min(Int(count), self.bytes.count - self.position))
            for _ in 0..<count {
                guard let value = try self.value(in: buffer, depth: depth + 1) else { return nil }
                values.append(value)
            }
            return values
        }

        mutating func pairs(in buffer: ByteBuffer, depth: Int) throws -> [RESPPair]? {
            guard let line = try self.line() else { return nil }
            let count = try self.integer(line)
            guard count >= 0, count <= RESPParser.maximumAggregateCount / 2 else {
                throw RedisProtocolError("map of \(count) pairs")
            }
            var pairs: [RESPPair] = []
            pairs.reserveCapacity(min(Int(count), (self.bytes.count - self.position) / 2))
            for _ in 0..<count {
                guard let key = try self.value(in: buffer, depth: depth + 1) else { return nil }
                guard let value = try self.value(in: buffer, depth: depth + 1) else { return nil }
                pairs.append(RESPPair(key: key, value: value))
            }
            return pairs
        }

        func integer(_ range: Range<Int>) throws -> Int64 {
            var index = range.lowerBound
            var negative = false
            if index < range.upperBound, self.bytes[index] == UInt8(ascii: "-") || self.bytes[index] == UInt8(ascii: "+") {
                negative = self.bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < range.upperBound else { throw RedisProtocolError("expected a number, got \(self.quote(range))") }
            var value: Int64 = 0
            while index < range.upperBound {
                let digit = self.bytes[index] &- UInt8(ascii: "0")
                guard digit < 10 else { throw RedisProtocolError("expected a number, got \(self.quote(range))") }
                let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
                let (next, overflow2) =
                    negative ? times10.subtractingReportingOverflow(Int64(digit)) : times10.addingReportingOverflow(Int64(digit))
                guard !overflow1 && !overflow2 else { throw RedisProtocolError("number \(self.quote(range)) does not fit 64 bits") }
                value = next
                index += 1
            }
            return value
        }

        func double(_ range: Range<Int>) throws -> Double {
            guard let value = Double(self.text(range)) else { throw RedisProtocolError("expected a double, got \(self.quote(range))") }
            return value
        }

        func bigNumber(_ range: Range<Int>) throws -> String {
            let text = self.text(range)
            let digits = text.first == "-" || text.first == "+" ? text.dropFirst() : Substring(text)
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
                throw RedisProtocolError("expected a big number, got \(self.quote(range))")
            }
            return text
        }

        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeRawBufferPointer(rebasing: self.bytes[range]), as: UTF8.self)
        }

        func quote(_ range: Range<Int>) -> String {
            "\"" + self.text(range.lowerBound..<min(range.upperBound, range.lowerBound + 40)) + "\""
        }

        static func describe(_ byte: UInt8) -> String {
            (0x20..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : "0x\(String(byte, radix: 16))"
        }
    }
}
