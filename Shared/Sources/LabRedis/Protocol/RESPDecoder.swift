import NIOCore

/// Turns the bytes Redis sends into ``RESPValue``s, one complete reply at a time, however TCP split them.
///
/// A `NIOSingleStepByteToMessageDecoder`: the connection runs it inside its own handler through
/// `NIOSingleStepByteToMessageProcessor` (no extra pipeline step per reply); wrap it in a
/// `ByteToMessageHandler` to use it in a pipeline of your own.
public struct RESPDecoder: NIOSingleStepByteToMessageDecoder, Sendable {
    public typealias InboundOut = RESPValue

    private let parser = RESPParser()

    public init() {}

    public mutating func decode(buffer: inout ByteBuffer) throws -> RESPValue? {
        try self.parser.parse(&buffer)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> RESPValue? {
        try self.decode(buffer: &buffer)
    }
}
