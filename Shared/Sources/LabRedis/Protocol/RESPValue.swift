import NIOCore

/// One reply from Redis, in any of the RESP2 and RESP3 types.
///
/// Typed commands (``RedisCommands/get(_:)``, ``RedisCommands/hgetall(_:)``...) turn these into Swift values;
/// ``RedisCommands/send(_:)`` hands the raw value back for anything else. Both protocol versions map onto one
/// enum so a caller never cares which one the connection negotiated: RESP2's null bulk string and null array
/// and RESP3's `_` are all ``null``; a RESP2 reply to `HGETALL` is an ``array`` where RESP3 sends a ``map``
/// (the typed commands accept both).
public enum RESPValue: Sendable, Hashable {
    /// `+OK`: a short status line.
    case simpleString(String)
    /// `-ERR ...` or RESP3's blob error `!`: Redis refused the command. Typed commands throw it as
    /// ``RedisServerError``; ``RedisCommands/send(_:)`` returns it.
    case error(String)
    /// `:42`
    case integer(Int64)
    /// `$5 hello`: binary-safe bytes (most values).
    case bulkString(ByteBuffer)
    /// RESP2 `$-1` / `*-1`, RESP3 `_`: "no such key" and friends.
    case null
    /// `*2 ...`
    case array([RESPValue])
    /// RESP3 `,3.14` (also `inf`, `-inf`, `nan`).
    case double(Double)
    /// RESP3 `#t` / `#f`.
    case boolean(Bool)
    /// RESP3 `(3492890328409238509324850943850943825024385`: an integer too big for 64 bits, as its digits.
    case bigNumber(String)
    /// RESP3 `=15 txt:Some string`: text with a three-letter format hint (`txt`, `mkd`).
    case verbatimString(format: String, text: String)
    /// RESP3 `%2 ...`: key-value pairs in the order Redis sent them.
    case map([RESPPair])
    /// RESP3 `~3 ...`: an unordered collection, kept in the order Redis sent it.
    case set([RESPValue])
    /// RESP3 `|1 ...`: out-of-band metadata Redis sent before a reply, and the reply itself.
    indirect case attribute([RESPPair], RESPValue)
    /// RESP3 `>3 ...`: data Redis pushes on its own (pub/sub messages, invalidations), never a reply.
    case push([RESPValue])

    /// The reply without any attributes Redis put in front of it.
    public var withoutAttributes: RESPValue {
        if case .attribute(_, let value) = self { return value.withoutAttributes }
        return self
    }

    /// The value as text, for the string-like types (bulk, simple, verbatim); the integer's digits too,
    /// because Redis answers `INCR` with an integer and `GET` of the same key with a bulk string.
    public var string: String? {
        switch self.withoutAttributes {
        case .bulkString(let buffer): return String(buffer: buffer)
        case .simpleString(let text): return text
        case .verbatimString(_, let text): return text
        case .integer(let number): return String(number)
        case .double(let number): return String(number)
        case .bigNumber(let digits): return digits
        default: return nil
        }
    }

    /// The value as an integer: integers, and strings holding one (`GET` of a counter).
    public var int: Int? {
        switch self.withoutAttributes {
        case .integer(let number): return Int(exactly: number)
        case .boolean(let flag): return flag ? 1 : 0
        default: return self.string.flatMap { Int($0) }
        }
    }

    /// The value as a double: doubles, integers and strings holding one (a sorted-set score in RESP2).
    public var double: Double? {
        switch self.withoutAttributes {
        case .double(let number): return number
        case .integer(let number): return Double(number)
        default: return self.string.flatMap { Double($0) }
        }
    }

    /// The elements of an array, set or push; nil for anything else (``null`` included).
    public var array: [RESPValue]? {
        switch self.withoutAttributes {
        case .array(let values), .set(let values), .push(let values): return values
        default: return nil
        }
    }

    /// Key-value pairs: a RESP3 map, or a RESP2 array of alternating keys and values (what RESP2 sends for
    /// `HGETALL`, `CONFIG GET`, `XINFO`...). Nil for anything else, or an array of odd length.
    public var pairs: [RESPPair]? {
        switch self.withoutAttributes {
        case .map(let pairs): return pairs
        case .array(let values) where values.count % 2 == 0:
            return stride(from: 0, to: values.count, by: 2).map { RESPPair(key: values[$0], value: values[$0 + 1]) }
        default: return nil
        }
    }

    /// True for ``null``.
    public var isNull: Bool {
        if case .null = self.withoutAttributes { return true }
        return false
    }
}

/// One key-value pair of a RESP3 map or attribute.
public struct RESPPair: Sendable, Hashable {
    public var key: RESPValue
    public var value: RESPValue

    public init(key: RESPValue, value: RESPValue) {
        self.key = key
        self.value = value
    }
}

extension RESPValue: ExpressibleByStringLiteral {
    /// A bulk string, so tests and callers can write `"hello"` where a reply is expected.
    public init(stringLiteral value: String) {
        self = .bulkString(ByteBuffer(string: value))
    }
}

extension RESPValue: CustomStringConvertible {
    /// A short rendering for error messages and logs (bulk strings as text, long ones cut).
    public var description: String {
        switch self {
        case .simpleString(let text): return text
        case .error(let message): return "(error) \(message)"
        case .integer(let number): return "(integer) \(number)"
        case .bulkString(let buffer):
            let text = String(buffer: buffer)
            return text.count > 200 ? "\"\(text.prefix(200))...\"" : "\"\(text)\""
        case .null: return "(nil)"
        case .array(let values): return "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .double(let number): return "(double) \(number)"
        case .boolean(let flag): return "(boolean) \(flag)"
        case .bigNumber(let digits): return "(big number) \(digits)"
        case .verbatimString(let format, let text): return "(\(format)) \(text)"
        case .map(let pairs): return "{" + pairs.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        case .set(let values): return "set[" + values.map(\.description).joined(separator: ", ") + "]"
        case .attribute(_, let value): return value.description
        case .push(let values): return "push[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
