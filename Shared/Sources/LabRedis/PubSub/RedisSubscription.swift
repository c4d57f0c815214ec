import NIOCore
import Synchronization

/// One message received on a subscription.
public struct RedisPubSubMessage: Sendable, Hashable {
    /// The channel it was published to.
    public var channel: String
    /// The pattern that matched, for pattern subscriptions (`PSUBSCRIBE news.*`); nil otherwise.
    public var pattern: String?
    public var payload: String

    public init(channel: String, pattern: String? = nil, payload: String) {
        self.channel = channel
        self.pattern = pattern
        self.payload = payload
    }
}

/// Messages published to some channels, as an `AsyncSequence`, on a connection of its own.
///
/// A subscribed connection can only subscribe, unsubscribe and ping, so it never comes from (or goes back
/// to) the pool. Get one from ``RedisPool/subscribe(to:patterns:)``; when it returns, Redis has confirmed
/// every subscription, so anything published afterwards arrives. Iterate it once:
///
/// ```swift
/// let subscription = try await redis.subscribe(to: ["orders"])
/// for try await message in subscription { ... message.payload ... }
/// ```
///
/// A slow consumer slows reading, not Redis: past 1,000 unread messages the connection stops reading and
/// Redis keeps the rest in its output buffer (`client-output-buffer-limit pubsub`, 32 MB by default); a
/// subscriber that falls further behind is disconnected by Redis. The loop then ends with
/// ``RedisUnavailableError``, as it does when Redis goes down: subscribe again (pub/sub keeps nothing
/// for absent subscribers, so messages published meanwhile are lost by design). Ending the loop (break,
/// task cancelled) or ``close()`` closes the connection.
public final class RedisSubscription: AsyncSequence, Sendable {
    public typealias Element = RedisPubSubMessage
    typealias Producer = NIOThrowingAsyncSequenceProducer<
        RedisPubSubMessage, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, SubscriptionReader
    >

    /// The dedicated connection (to close it).
    let connection: RedisConnection
    private let producer: Mutex<Producer?>

    init(connection: RedisConnection, producer: Producer) {
        self.connection = connection
        self.producer = Mutex(producer)
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator?

        public mutating func next() async throws -> RedisPubSubMessage? {
            try await self.base?.next()
        }
    }

    /// The messages. A subscription has one consumer: a second iterator ends at once.
    public func makeAsyncIterator() -> AsyncIterator {
        let producer = self.producer.withLock { producer in
            defer { producer = nil }
            return producer
        }
        return AsyncIterator(base: producer?.makeAsyncIterator())
    }

    /// Unsubscribes by closing the connection; the loop over the messages ends.
    public func close() async {
        await self.connection.close()
    }

    /// Opens a connection, subscribes to `channels` and `patterns`, and waits for Redis to confirm them.
    static func open(
        connection: RedisConnection,
        channels: [String],
        patterns: [String]
    ) async throws -> RedisSubscription {
        guard !channels.isEmpty || !patterns.isEmpty else { throw RedisClientError("subscribe to at least one channel or pattern") }
        let confirmations = Confirmations(expected: channels.count + patterns.count)
        let reader = SubscriptionReader(channel: connection.channel)
        let new = Producer.makeSequence(
            backPressureStrategy: .init(lowWatermark: 100, highWatermark: 1000),
            finishOnDeinit: false,
            delegate: reader
        )
        let source = new.source
        let handler = connection.handler
        let configuration = connection.configuration
        let commands = [
            channels.isEmpty ? nil : RedisCommand(name: "SUBSCRIBE", arguments: channels),
            patterns.isEmpty ? nil : RedisCommand(name: "PSUBSCRIBE", arguments: patterns),
        ].compactMap { $0 }
        let subscription = RedisSubscription(connection: connection, producer: new.sequence)
        let timeout = RedisUnavailableError.timeout(configuration, command: commands[0].name, after: configuration.commandTimeout)
        let timer = connection.channel.eventLoop.scheduleTask(in: TimeAmount(configuration.commandTimeout)) {
            confirmations.fail(timeout)
        }
        defer { timer.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                confirmations.wait(continuation)
                connection.channel.eventLoop.execute {
                    let handler = handler.value
                    handler.isSubscriber = true
                    handler.onPush = { value in
                        switch SubscriptionEvent(value) {
                        case .message(let message):
                            if source.yield(message) == .stopProducing { reader.pause() }
                        case .confirmed:
                            confirmations.confirmOne()
                        case .other:
                            break
                        }
                    }
                    handler.onClose = { error in
                        let reason =
                            error is RedisUnavailableError
                            ? RedisUnavailableError(
                                message: "the subscription to Redis at \(configuration) ended: \(error) (Redis also disconnects "
                                    + "subscribers that fall behind its client-output-buffer-limit for pubsub)"
                            ) : error
                        confirmations.fail(reason)
                        source.finish(reason)
                    }
                    for command in commands { handler.writeWithoutReply(command.bytes) }
                }
            }
        } onCancel: {
            confirmations.fail(CancellationError())
        }
        return subscription
    }
}

/// What a pushed frame on a subscribed connection is.
private enum SubscriptionEvent {
    case message(RedisPubSubMessage)
    case confirmed
    case other

    init(_ value: RESPValue) {
        guard let items = value.array, let kind = items.first?.string else {
            self = .other
            return
        }
        switch kind {
        case "message" where items.count == 3:
            self = .message(RedisPubSubMessage(channel: items[1].string ?? "", payload: items[2].string ?? ""))
        case "pmessage" where items.count == 4:
            self = .message(RedisPubSubMessage(channel: items[2].string ?? "", pattern: items[1].string, payload: items[3].string ?? ""))
        case "subscribe", "psubscribe":
            self = .confirmed
        default:
            self = .other
        }
    }
}

/// Counts Redis's confirmations of a `SUBSCRIBE` (one per channel) and resumes the subscriber once all came.
private final class Confirmations: Sendable {
    private let state: Mutex<(remaining: Int, continuation: CheckedContinuation<Void, any Error>?, failure: (any Error)?)>

    init(expected: Int) {
        self.state = Mutex((expected, nil, nil))
    }

    func wait(_ continuation: CheckedContinuation<Void, any Error>) {
        let failure = self.state.withLock { state -> (any Error)? in
            if let failure = state.failure { return failure }
            state.continuation = continuation
            return nil
        }
        if let failure { continuation.resume(throwing: failure) }
    }

    func confirmOne() {
        let continuation = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
            state.remaining -= 1
            guard state.remaining == 0 else { return nil }
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }

    func fail(_ error: any Error) {
        let continuation = self.state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard state.remaining > 0, state.failure == nil else { return nil }
            state.failure = error
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(throwing: error)
    }
}

/// Reads from the socket only while the consumer keeps up: paused when 1,000 messages wait unread, resumed
/// when it is down to 100; the connection closes when the consumer stops iterating.
final class SubscriptionReader: NIOAsyncSequenceProducerDelegate {
    let channel: any Channel

    init(channel: any Channel) {
        self.channel = channel
    }

    /// Called on the event loop, from the push handler.
    func pause() {
        try? self.channel.syncOptions?.setOption(.autoRead, value: false)
    }

    func produceMore() {
        let channel = self.channel
        channel.eventLoop.execute {
            try? channel.syncOptions?.setOption(.autoRead, value: true)
            channel.read()
        }
    }

    func didTerminate() {
        self.channel.close(promise: nil)
    }
}
