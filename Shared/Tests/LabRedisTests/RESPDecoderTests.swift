import LabRedis
import NIOCore
import Testing

/// The examples of the RESP specification (RESP2 and RESP3), each decoded whole and then fed one byte at
/// a time, the worst split TCP can produce.
@Suite("RESP decoder: the specification's examples")
struct RESPDecoderTests {
    static let examples: [(bytes: String, value: RESPValue)] = [
        // RESP2
        ("+OK\r\n", .simpleString("OK")),
        ("-Error message\r\n", .error("Error message")),
        ("-ERR unknown command 'asdf'\r\n", .error("ERR unknown command 'asdf'")),
        (
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n",
            .error("WRONGTYPE Operation against a key holding the wrong kind of value")
        ),
        (":0\r\n", .integer(0)),
        (":1000\r\n", .integer(1000)),
        (":-42\r\n", .integer(-42)),
        (":+7\r\n", .integer(7)),
        ("$5\r\nhello\r\n", "hello"),
        ("$0\r\n\r\n", ""),
        ("$-1\r\n", .null),
        ("$11\r\nwith\r\nCRLF!\r\n", "with\r\nCRLF!"),
        ("*0\r\n", .array([])),
        ("*2\r\n$5\r\nhello\r\n$5\r\nworld\r\n", .array(["hello", "world"])),
        ("*3\r\n:1\r\n:2\r\n:3\r\n", .array([.integer(1), .integer(2), .integer(3)])),
        ("*5\r\n:1\r\n:2\r\n:3\r\n:4\r\n$5\r\nhello\r\n", .array([.integer(1), .integer(2), .integer(3), .integer(4), "hello"])),
        ("*-1\r\n", .null),
        (
            "*2\r\n*3\r\n:1\r\n:2\r\n:3\r\n*2\r\n+Hello\r\n-World\r\n",
            .array([.array([.integer(1), .integer(2), .integer(3)]), .array([.simpleString("Hello"), .error("World")])])
        ),
        ("*3\r\n$5\r\nhello\r\n$-1\r\n$5\r\nworld\r\n", .array(["hello", .null, "world"])),
        // RESP3
        ("_\r\n", .null),
        ("#t\r\n", .boolean(true)),
        ("#f\r\n", .boolean(false)),
        (",1.23\r\n", .double(1.23)),
        (",10\r\n", .double(10)),
        (",-1.5e3\r\n", .double(-1500)),
        (",inf\r\n", .double(.infinity)),
        (",-inf\r\n", .double(-.infinity)),
        ("(3492890328409238509324850943850943825024385\r\n", .bigNumber("3492890328409238509324850943850943825024385")),
        ("(-3492890328409238509324850943850943825024385\r\n", .bigNumber("-3492890328409238509324850943850943825024385")),
        ("!21\r\nSYNTAX invalid syntax\r\n", .error("SYNTAX invalid syntax")),
        ("=15\r\ntxt:Some string\r\n", .verbatimString(format: "txt", text: "Some string")),
        (
            "%2\r\n+first\r\n:1\r\n+second\r\n:2\r\n",
            .map([RESPPair(key: .simpleString("first"), value: .integer(1)), RESPPair(key: .simpleString("second"), value: .integer(2))])
        ),
        (
            "~5\r\n+orange\r\n+apple\r\n#t\r\n:100\r\n:999\r\n",
            .set([.simpleString("orange"), .simpleString("apple"), .boolean(true), .integer(100), .integer(999)])
        ),
        (
            "|1\r\n+key-popularity\r\n%2\r\n$1\r\na\r\n,0.1923\r\n$1\r\nb\r\n,0.0012\r\n*2\r\n:2039123\r\n:9543892\r\n",
            .attribute(
                [
                    RESPPair(
                        key: .simpleString("key-popularity"),
                        value: .map([RESPPair(key: "a", value: .double(0.1923)), RESPPair(key: "b", value: .double(0.0012))])
                    )
                ],
                .array([.integer(2_039_123), .integer(9_543_892)])
            )
        ),
        (
            ">4\r\n+pubsub\r\n+message\r\n+somechannel\r\n+this is the message\r\n",
            .push([.simpleString("pubsub"), .simpleString("message"), .simpleString("somechannel"), .simpleString("this is the message")])
        ),
    ]

    @Test("each example decodes whole", arguments: 0..<Self.examples.count)
    func decodesWhole(index: Int) throws {
        let (bytes, expected) = Self.examples[index]
        var buffer = ByteBuffer(string: bytes)
        var decoder = RESPDecoder()
        #expect(try decoder.decode(buffer: &buffer) == expected)
        #expect(buffer.readableBytes == 0)
    }

    @Test("each example decodes when it arrives one byte at a time")
    func decodesByteByByte() throws {
        for (bytes, expected) in Self.examples {
            let values = try decodeAll(chunks: Array(bytes.utf8).map { [$0] })
            #expect(values == [expected], "\(bytes.debugDescription)")
        }
    }

    @Test("all examples back to back, split into chunks of every size from 1 to 40 bytes")
    func decodesAConcatenatedStream() throws {
        let all = Array(Self.examples.map(\.bytes).joined().utf8)
        for size in 1...40 {
            let chunks = stride(from: 0, to: all.count, by: size).map { Array(all[$0..<min($0 + size, all.count)]) }
            #expect(try decodeAll(chunks: chunks) == Self.examples.map(\.value), "chunks of \(size)")
        }
    }

    @Test("nan decodes to a NaN double")
    func nan() throws {
        var buffer = ByteBuffer(string: ",nan\r\n")
        var decoder = RESPDecoder()
        guard case .double(let value) = try decoder.decode(buffer: &buffer) else {
            Issue.record("not a double")
            return
        }
        #expect(value.isNaN)
    }

    @Test("an incomplete value leaves the buffer as it was")
    func incompleteLeavesBufferUntouched() throws {
        for (bytes, _) in Self.examples {
            let all = Array(bytes.utf8)
            for cut in 0..<all.count {
                var buffer = ByteBuffer(bytes: all[0..<cut])
                var decoder = RESPDecoder()
                #expect(try decoder.decode(buffer: &buffer) == nil)
                #expect(buffer.readableBytes == cut)
            }
        }
    }

    @Test("the accessors typed commands use accept both protocol versions")
    func accessors() {
        let resp2Hash: RESPValue = .array(["a", "1", "b", "2"])
        let resp3Hash: RESPValue = .map([RESPPair(key: "a", value: "1"), RESPPair(key: "b", value: "2")])
        #expect(resp2Hash.pairs == resp3Hash.pairs)
        #expect(RESPValue.bulkString(ByteBuffer(string: "42")).int == 42)
        #expect(RESPValue.integer(42).string == "42")
        #expect(RESPValue.double(1.5).double == 1.5)
        #expect(RESPValue.bulkString(ByteBuffer(string: "2.5")).double == 2.5)
        #expect(RESPValue.attribute([], .integer(3)).int == 3)
        #expect(RESPValue.null.string == nil)
        #expect(RESPValue.null.isNull)
    }
}

/// Feeds `chunks` to one decoder as TCP would deliver them and returns every value decoded.
func decodeAll(chunks: [[UInt8]]) throws -> [RESPValue] {
    let processor = NIOSingleStepByteToMessageProcessor(RESPDecoder())
    var values: [RESPValue] = []
    for chunk in chunks {
        try processor.process(buffer: ByteBuffer(bytes: chunk)) { values.append($0) }
    }
    return values
}
