import LabRedis
import NIOCore
import PropertyBased
import Testing

/// Any value the encoder writes, cut at random points, decodes to itself; and malformed bytes make the
/// decoder throw, never crash or wait for ever.
@Suite("RESP decoder: property tests and fuzzing")
struct RESPPropertyTests {
    @Test("any encoded value, split at random points, decodes to itself")
    func roundTripWithRandomSplits() async {
        await propertyCheck(count: 500, input: Self.splitValues) { sample throws in
            let bytes = Array(
                sample.values.map { $0.encoded }.reduce(into: ByteBuffer()) { all, next in all.writeImmutableBuffer(next) }.readableBytesView
            )
            var chunks: [[UInt8]] = []
            var start = 0
            for cut in sample.cuts.map({ $0 % (bytes.count + 1) }).sorted() where cut > start {
                chunks.append(Array(bytes[start..<cut]))
                start = cut
            }
            chunks.append(Array(bytes[start...]))
            #expect(try decodeAll(chunks: chunks) == sample.values)
        }
    }

    @Test("random bytes never crash the decoder: each input throws or decodes, and stops")
    func randomBytesNeverCrash() throws {
        var random = Xoshiro(seed: (16, 1, 2, 3))  // seeded: the same inputs every run
        var threw = 0
        for _ in 0..<20_000 {
            let length = Int.random(in: 1...64, using: &random)
            let alphabet = Array("+-:$*_,#(!=%~|>\r\n0123456789-abcft".utf8)
            let bytes = (0..<length).map { _ in
                Bool.random(using: &random) ? alphabet.randomElement(using: &random)! : UInt8.random(in: 0...255, using: &random)
            }
            do {
                _ = try decodeAll(chunks: [bytes])
            } catch is RedisProtocolError {
                threw += 1
            }
        }
        // Most random inputs are not RESP: the decoder must say so rather than wait.
        #expect(threw > 10_000)
    }

    @Test("mutated valid replies are rejected or decoded, never crash")
    func mutatedRepliesNeverCrash() throws {
        var random = Xoshiro(seed: (7, 1, 2, 3))
        let valid = RESPDecoderTests.examples.map { Array($0.bytes.utf8) }
        for _ in 0..<20_000 {
            var bytes = valid.randomElement(using: &random)!
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<3, using: &random) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &random)
                case 1: bytes.remove(at: index)
                default: bytes.insert(UInt8.random(in: 0...255, using: &random), at: index)
                }
                if bytes.isEmpty { bytes = [0] }
            }
            _ = try? decodeAll(chunks: [bytes])
        }
    }

    @Test(
        "malformed input throws a clear error",
        arguments: [
            "?what\r\n", ":12a\r\n", ":\r\n", "$abc\r\n", "$-2\r\n", "$3\r\nabcd\r\n", "*-5\r\n", "#x\r\n", ",one\r\n",
            "(12x\r\n", "=3\r\nabc\r\n", "+OK\rX", "+OK\n", "_x\r\n", ":99999999999999999999\r\n", "$600000000\r\n", "%-1\r\n",
        ]
    )
    func malformed(bytes: String) {
        #expect(throws: RedisProtocolError.self) {
            _ = try decodeAll(chunks: [Array(bytes.utf8)])
        }
    }

    @Test("a line that never ends is rejected once it is too long to be RESP")
    func endlessLine() {
        #expect(throws: RedisProtocolError.self) {
            _ = try decodeAll(chunks: [Array("+".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 70_000)])
        }
    }

    @Test("nesting deeper than any Redis reply is rejected, not a stack overflow")
    func deepNesting() {
        let bytes = Array(String(repeating: "*1\r\n", count: 10_000).utf8) + Array(":1\r\n".utf8)
        #expect(throws: RedisProtocolError.self) {
            _ = try decodeAll(chunks: [bytes])
        }
    }

    /// A few values and where to cut their bytes.
    struct SplitSample: Sendable {
        var values: [RESPValue]
        var cuts: [Int]
    }

    static let splitValues = Generator<SplitSample, Shrink.None<SplitSample>> { random in
        let values = (0..<Int.random(in: 1...4, using: &random)).map { _ in randomValue(depth: 0, using: &random) }
        let cuts = (0..<Int.random(in: 0...8, using: &random)).map { _ in Int.random(in: 0...100_000, using: &random) }
        return SplitSample(values: values, cuts: cuts)
    }
}

/// A random value of any type, nested at most three levels, with text that includes `\r\n` and non-ASCII.
func randomValue(depth: Int, using random: inout some RandomNumberGenerator) -> RESPValue {
    func text(_ random: inout some RandomNumberGenerator, line: Bool) -> String {
        let pieces = ["a", "Z", "0", " ", "é", "🙂", "\r\n", "\r", "\n", "$", "*", ":"]
        // By bytes: "\r\n" is one Character, which `contains("\r")` would not see.
        let usable = line ? pieces.filter { !$0.utf8.contains(13) && !$0.utf8.contains(10) } : pieces
        return (0..<Int.random(in: 0...12, using: &random)).map { _ in usable.randomElement(using: &random)! }.joined()
    }
    let kinds = depth >= 3 ? 9 : 14
    switch Int.random(in: 0..<kinds, using: &random) {
    case 0: return .simpleString(text(&random, line: true))
    case 1: return .error(text(&random, line: false))
    case 2: return .integer(Int64.random(in: .min ... .max, using: &random))
    case 3: return .bulkString(ByteBuffer(bytes: (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }))
    case 4: return .null
    case 5:
        return .double(
            [1.5, -0.25, 1e300, -2.5e-300, .infinity, -.infinity, 0, Double(Int.random(in: -1000...1000, using: &random)) / 7].randomElement(
                using: &random
            )!
        )
    case 6: return .boolean(Bool.random(using: &random))
    case 7:
        return .bigNumber(
            (Bool.random(using: &random) ? "-" : "") + String(UInt64.random(in: 0 ... .max, using: &random)) + "123456789012345678901234567890"
        )
    case 8: return .verbatimString(format: ["txt", "mkd"].randomElement(using: &random)!, text: text(&random, line: false))
    default:
        let count = Int.random(in: 0...4, using: &random)
        let children = (0..<count).map { _ in randomValue(depth: depth + 1, using: &random) }
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return .array(children)
        case 1: return .set(children)
        case 2: return .push(children)
        case 3: return .map(children.map { RESPPair(key: $0, value: randomValue(depth: depth + 1, using: &random)) })
        default:
            let attributes = children.map { RESPPair(key: $0, value: .integer(1)) }
            // An attribute decorates a reply; never another attribute (the decoder would nest them the same way).
            return .attribute(attributes, randomValue(depth: depth + 1, using: &random).withoutAttributes)
        }
    }
}
