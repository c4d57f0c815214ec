import NIOCore
import NIOHTTP1

/// Reads HTTP/1.1 responses off a virtual user's connection: the status, whether the connection stays open,
/// and, only when the script reads answers, the headers and the body (an error answer's body always: the report
/// quotes the first one of each status). Everything else is skipped in place.
///
/// Written for the hot path instead of NIOHTTP1's `HTTPResponseDecoder`, which turns every header into a
/// pair of Strings and sends the head, each body part and the end through the pipeline as separate
/// messages: in a profile of `/health` under load, that was most of the tool's own CPU per request. It reads
/// what a server sends a client that never asks for an upgrade or `100-continue`: a body framed by
/// `Content-Length`, chunked, or by closing the connection; no body for `HEAD`, 1xx, 204 and 304; an interim
/// 1xx response is skipped.
struct ResponseReader {
    /// One whole response.
    struct Response {
        var status = 0
        /// The server keeps the connection open for the next request (HTTP/1.1 without `Connection: close`).
        var keepAlive = true
        /// Only when the reader keeps answers.
        var headers = HTTPHeaders()
        /// When the reader keeps answers, and for every error answer (status 400 and up).
        var body: ByteBuffer?
    }

    /// The bytes are not an HTTP/1.1 response the reader understands: the connection cannot be trusted.
    struct Malformed: Error {}

    private enum State {
        case head
        case body(remaining: Int)
        case chunkSize
        case chunk(remaining: Int)
        case chunkEnd
        case trailers
        case untilClose
    }

    /// Whether to keep each answer's headers and body (a journey reads them; a request mix does not).
    let keepsAnswers: Bool
    private var state = State.head
    private var response = Response()
    /// The request being answered is a `HEAD`: its answer has no body, whatever its headers say.
    private var answersHead = false

    /// The longest response head accepted: a server sending more without an empty line is not speaking HTTP.
    static let longestHead = 64 * 1024

    init(keepsAnswers: Bool) {
        self.keepsAnswers = keepsAnswers
    }

    /// Gets ready for the answer to a new request.
    mutating func expectAnswer(toHead: Bool) {
        self.state = .head
        self.response = Response()
        self.answersHead = toHead
    }

    /// Reads from `buffer` until a whole response is in, and returns it; nil when more bytes are needed.
    /// Moves the reader index past what it read; a partial head is left unread, to be read again with the
    /// bytes that complete it.
    mutating func read(_ buffer: inout ByteBuffer) throws(Malformed) -> Response? {
        while true {
            switch self.state {
            case .head:
                guard try self.readHead(&buffer) else { return nil }
            case .body(let remaining):
                let taken = self.take(&buffer, upTo: remaining)
                guard taken == remaining else {
                    self.state = .body(remaining: remaining - taken)
                    return nil
                }
                return self.finish()
            case .chunkSize:
                guard let line = try Self.line(in: buffer) else { return nil }
                let size = try Self.chunkSize(buffer, line: line)
                buffer.moveReaderIndex(forwardBy: line.next)
                self.state = size == 0 ? .trailers : .chunk(remaining: size)
            case .chunk(let remaining):
                let taken = self.take(&buffer, upTo: remaining)
                guard taken == remaining else {
                    self.state = .chunk(remaining: remaining - taken)
                    return nil
                }
                self.state = .chunkEnd
            case .chunkEnd:
                guard let line = try Self.line(in: buffer) else { return nil }
                guard line.length == 0 else { throw Malformed() }
                buffer.moveReaderIndex(forwardBy: line.next)
                self.state = .chunkSize
            case .trailers:
                guard let line = try Self.line(in: buffer) else { return nil }
                buffer.moveReaderIndex(forwardBy: line.next)
                if line.length == 0 { return self.finish() }
            case .untilClose:
                _ = self.take(&buffer, upTo: buffer.readableBytes)
                return nil
            }
        }
    }

    /// The connection closed: a body framed by the close is complete; anything else half-read is not.
    mutating func connectionClosed() -> Response? {
        guard case .untilClose = self.state else { return nil }
        return self.finish()
    }

    private mutating func finish() -> Response {
        self.state = .head
        return self.response
    }

    /// Consumes up to `count` body bytes, keeping them if answers are kept or the answer is an error (a slice of
    /// the read buffer, not a copy, for a body that arrives in one read); returns how many it consumed.
    private mutating func take(_ buffer: inout ByteBuffer, upTo count: Int) -> Int {
        let taken = min(count, buffer.readableBytes)
        if self.keepsAnswers || self.response.status >= 400, taken > 0, var part = buffer.readSlice(length: taken) {
            if self.response.body == nil {
                self.response.body = part
            } else {
                self.response.body!.writeBuffer(&part)
            }
        } else {
            buffer.moveReaderIndex(forwardBy: taken)
        }
        return taken
    }

    /// Reads a whole head (status line and headers) if `buffer` holds one, and decides how the body is framed.
    private mutating func readHead(_ buffer: inout ByteBuffer) throws(Malformed) -> Bool {
        let keepsAnswers = self.keepsAnswers
        let result = buffer.withUnsafeReadableBytes { bytes -> Head? in
            Head.parse(bytes, keepingHeaders: keepsAnswers)
        }
        guard let head = result else {
            if buffer.readableBytes > Self.longestHead { throw Malformed() }
            return false
        }
        guard head.status >= 100 else { throw Malformed() }
        buffer.moveReaderIndex(forwardBy: head.length)
        if head.status < 200 && head.status != 101 {
            return true  // an interim answer (100 Continue, 103 Early Hints): the real one follows
        }
        self.response.status = head.status
        self.response.keepAlive = head.keepAlive
        if keepsAnswers { self.response.headers = head.headers }
        if self.answersHead || head.status < 200 || head.status == 204 || head.status == 304 {
            self.state = .body(remaining: 0)
        } else if head.chunked {
            self.state = .chunkSize
        } else if let length = head.contentLength {
            self.state = .body(remaining: length)
        } else {
            self.response.keepAlive = false
            self.state = .untilClose
        }
        return true
    }

    /// Where the line at the reader index ends: its length without the CRLF, and the offset just after it.
    private static func line(in buffer: ByteBuffer) throws(Malformed) -> (length: Int, next: Int)? {
        let found = buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard bytes.count >= 2 else { return nil }
            for index in 0..<(bytes.count - 1) where bytes[index] == 13 && bytes[index + 1] == 10 { return index }
            return nil
        }
        guard let length = found else {
            if buffer.readableBytes > Self.longestHead { throw Malformed() }
            return nil
        }
        return (length, length + 2)
    }

    /// The size of the chunk whose line starts at the reader index (hexadecimal, extensions after `;` ignored).
    private static func chunkSize(_ buffer: ByteBuffer, line: (length: Int, next: Int)) throws(Malformed) -> Int {
        var size = 0
        var digits = 0
        for offset in 0..<line.length {
            guard let byte = buffer.getInteger(at: buffer.readerIndex + offset, as: UInt8.self) else { throw Malformed() }
            let digit: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = Int(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = Int(byte - UInt8(ascii: "a")) + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = Int(byte - UInt8(ascii: "A")) + 10
            case UInt8(ascii: ";"), UInt8(ascii: " "), UInt8(ascii: "\t"):
                guard digits > 0 else { throw Malformed() }
                return size
            default: throw Malformed()
            }
            guard digits < 15 else { throw Malformed() }
            size = size * 16 + digit
            digits += 1
        }
        guard digits > 0 else { throw Malformed() }
        return size
    }
}

/// A response head read in place: the status, the three headers that frame the body and the connection,
/// and (when asked) every header.
private struct Head {
    /// Bytes up to and including the empty line.
    var length = 0
    var status = 0
    var keepAlive = true
    var chunked = false
    var contentLength: Int?
    var headers = HTTPHeaders()

    /// Parses the head at the start of `bytes`; nil when its empty line has not arrived yet. A status line
    /// that is not `HTTP/1.x NNN` gives status 0.
    static func parse(_ bytes: UnsafeRawBufferPointer, keepingHeaders: Bool) -> Head? {
        let count = bytes.count
        // The status line: "HTTP/1.1 200 OK".
        guard let statusEnd = Self.lineEnd(bytes, from: 0) else { return nil }
        var head = Head()
        if statusEnd >= 12, Self.matches(bytes, at: 0, "HTTP/1.") {
            let http10 = bytes[7] == UInt8(ascii: "0")
            head.keepAlive = !http10
            var status = 0
            for index in 9..<12 {
                let digit = Int(bytes[index]) - Int(UInt8(ascii: "0"))
                guard (0...9).contains(digit) else { return Self.malformed(bytes) }
                status = status * 10 + digit
            }
            head.status = status
        } else {
            return Self.malformed(bytes)
        }
        var lineStart = statusEnd + 2
        while true {
            guard lineStart < count, let end = Self.lineEnd(bytes, from: lineStart) else { return nil }
            if end == lineStart {
                head.length = end + 2
                return head
            }
            guard let colon = Self.firstIndex(of: UInt8(ascii: ":"), in: bytes, from: lineStart, to: end) else { return Self.malformed(bytes) }
            var valueStart = colon + 1
            while valueStart < end && (bytes[valueStart] == 32 || bytes[valueStart] == 9) { valueStart += 1 }
            var valueEnd = end
            while valueEnd > valueStart && (bytes[valueEnd - 1] == 32 || bytes[valueEnd - 1] == 9) { valueEnd -= 1 }
            switch colon - lineStart {
            case 14 where Self.equalsLowercased(bytes, at: lineStart, "content-length"):
                var length = 0
                for index in valueStart..<valueEnd {
                    let digit = Int(bytes[index]) - Int(UInt8(ascii: "0"))
                    guard (0...9).contains(digit), length < Int.max / 100 else { return Self.malformed(bytes) }
                    length = length * 10 + digit
                }
                head.contentLength = length
            case 17 where Self.equalsLowercased(bytes, at: lineStart, "transfer-encoding"):
                head.chunked = Self.containsLowercased(bytes, from: valueStart, to: valueEnd, "chunked")
            case 10 where Self.equalsLowercased(bytes, at: lineStart, "connection"):
                if Self.containsLowercased(bytes, from: valueStart, to: valueEnd, "close") { head.keepAlive = false }
                if Self.containsLowercased(bytes, from: valueStart, to: valueEnd, "keep-alive") { head.keepAlive = true }
            default:
                break
            }
            if keepingHeaders {
                head.headers.add(
                    name: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[lineStart..<colon]), as: UTF8.self),
                    value: String(decoding: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self)
                )
            }
            lineStart = end + 2
        }
    }

    /// A head with status 0 (the caller's sign of a malformed response), once the whole head is there or not.
    private static func malformed(_ bytes: UnsafeRawBufferPointer) -> Head {
        var head = Head()
        head.length = bytes.count
        return head
    }

    /// The index of the CR of the first CRLF at or after `start`.
    private static func lineEnd(_ bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while let cr = Self.firstIndex(of: 13, in: bytes, from: index, to: bytes.count) {
            if cr + 1 >= bytes.count { return nil }
            if bytes[cr + 1] == 10 { return cr }
            index = cr + 1
        }
        return nil
    }

    private static func firstIndex(of byte: UInt8, in bytes: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Int? {
        var index = start
        while index < end {
            if bytes[index] == byte { return index }
            index += 1
        }
        return nil
    }

    private static func matches(_ bytes: UnsafeRawBufferPointer, at start: Int, _ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard start + count <= bytes.count else { return false }
        let pointer = text.utf8Start
        for offset in 0..<count where bytes[start + offset] != pointer[offset] { return false }
        return true
    }

    /// Whether the bytes at `start` are `text` (lowercase ASCII letters and `-`), in any case.
    private static func equalsLowercased(_ bytes: UnsafeRawBufferPointer, at start: Int, _ text: StaticString) -> Bool {
        let pointer = text.utf8Start
        for offset in 0..<text.utf8CodeUnitCount where bytes[start + offset] | 0x20 != pointer[offset] { return false }
        return true
    }

    /// Whether `text` (lowercase ASCII letters and `-`) occurs between `start` and `end`, in any case.
    private static func containsLowercased(_ bytes: UnsafeRawBufferPointer, from start: Int, to end: Int, _ text: StaticString) -> Bool {
        let count = text.utf8CodeUnitCount
        guard end - start >= count else { return false }
        for candidate in start...(end - count) where Self.equalsLowercased(bytes, at: candidate, text) { return true }
        return false
    }
}
