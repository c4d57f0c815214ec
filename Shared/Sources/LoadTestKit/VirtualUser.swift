import NIOCore
import NIOHTTP1
import NIOPosix

/// One virtual user: a keep-alive connection that sends a request, waits for the answer (or the timeout),
/// records the outcome, and sends the next. Reconnects when the connection breaks or times out. Which
/// request comes next and whether its answer is right is its ``UserScript``'s business.
///
/// A journey step sent as another user (``ScriptedRequest/asAnotherUser``) goes on a second connection,
/// from another source address (``SourceAddresses``), kept open for the next such step.
///
/// Every request the script hands out is counted as sent exactly once and ends in exactly one outcome,
/// even when its connection never opens. When a connection cannot be opened, or closes before its first
/// answer, the user waits before trying again (10 ms, doubling up to 1 s, back to 10 ms at the next
/// answer): a dead server neither turns the tool into a busy loop nor inflates the requests sent.
///
/// Lives on one event loop and is only touched from it, like its ``LoadStats``.
final class VirtualUser {
    let eventLoop: any EventLoop
    let script: any UserScript
    let stats: LoadStats
    let target: SocketAddress
    let timeout: TimeAmount
    /// Where the user's own connections, and its connection as another user, come from (nil: the kernel picks).
    private let sources: (own: SocketAddress?, another: SocketAddress?)
    private var running = true
    /// Open connections: the user's own, and the one it uses as another user.
    private var own: VirtualUserHandler?
    private var another: VirtualUserHandler?
    /// A request counted as sent, waiting for its connection to open.
    private var pending: ScriptedRequest?
    /// The wait before the next attempt after a connection failed, and how long the next wait will be.
    private var pause: Scheduled<Void>?
    private var backoff = VirtualUser.firstBackoff
    private let finished: EventLoopPromise<Void>
    private var hasFinished = false

    static let firstBackoff = TimeAmount.milliseconds(10)
    static let longestBackoff = TimeAmount.seconds(1)

    init(
        eventLoop: any EventLoop,
        script: any UserScript,
        stats: LoadStats,
        target: SocketAddress,
        sources: (own: SocketAddress?, another: SocketAddress?),
        timeout: TimeAmount
    ) {
        self.eventLoop = eventLoop
        self.script = script
        self.stats = stats
        self.target = target
        self.sources = sources
        self.timeout = timeout
        self.finished = eventLoop.makePromise()
    }

    /// Whether to send another request: until the test's time is up, and then until the journey under way
    /// (if any) has ended, so every journey started is judged as a whole.
    var keepsGoing: Bool { self.running || self.script.isMidJourney }

    /// Completes when the user has stopped and its last request has been counted.
    var finishedFuture: EventLoopFuture<Void> { self.finished.futureResult }

    func start() {
        self.sendNext()
    }

    /// Stop sending new requests; the one in flight (if any) still completes or times out and is counted.
    func stop() {
        self.running = false
        if let pause = self.pause {
            pause.cancel()
            self.pause = nil
            self.sendNext()
        }
    }

    /// Sends the script's next request on the connection it belongs to, opening that connection if needed;
    /// finishes when the user is done.
    private func sendNext() {
        guard self.keepsGoing else { return self.finish() }
        let request = self.script.next()
        self.stats.recordSent(endpoint: request.endpoint)
        if let connection = request.asAnotherUser ? self.another : self.own {
            connection.send(request)
        } else {
            self.pending = request
            self.connect(asAnotherUser: request.asAnotherUser)
        }
    }

    private func connect(asAnotherUser: Bool) {
        let user = NIOLoopBound(self, eventLoop: self.eventLoop)
        var bootstrap = ClientBootstrap(group: self.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(self.timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(VirtualUserHandler(user: user.value, asAnotherUser: asAnotherUser))
                }
            }
        if let source = asAnotherUser ? self.sources.another : self.sources.own {
            bootstrap = bootstrap.bind(to: source)
        }
        bootstrap.connect(to: self.target).assumeIsolated().whenFailure { _ in
            // The request this user meant to send could not even start: it fails as a connection error.
            guard let request = self.pending else { return }
            self.pending = nil
            self.script.failed(.connectionError, endpoint: request.endpoint, now: Self.now())
            self.stats.record(.connectionError, endpoint: request.endpoint, latencyNanoseconds: 0, now: Self.now())
            self.pauseThenSendNext()
        }
    }

    /// A connection opened (its handler is active): it sends the request waiting for it.
    func connected(_ connection: VirtualUserHandler) {
        if connection.asAnotherUser { self.another = connection } else { self.own = connection }
        guard let request = self.pending else { return }
        self.pending = nil
        connection.send(request)
    }

    /// Records the answer to a request (the script judges it, the stats count the outcome) and sends the next.
    /// An answer that arrives after the timeout, before the timer noticed (it checks a few times a second),
    /// counts as a timeout: otherwise a report could show `max 5012 ms` next to `timed out (> 5.0 s) 0`.
    func answered(_ answer: Answer, endpoint: Int, latencyNanoseconds: UInt64, now: UInt64, on connection: VirtualUserHandler, keepAlive: Bool) {
        if latencyNanoseconds > UInt64(self.timeout.nanoseconds) {
            self.script.failed(.timeout, endpoint: endpoint, now: now)
            self.stats.record(.timeout, endpoint: endpoint, latencyNanoseconds: 0, now: now)
        } else {
            let outcome = self.script.judge(answer, endpoint: endpoint, now: now)
            if case .httpError(let status) = outcome { self.stats.noteError(status: status, body: answer.body, endpoint: endpoint) }
            self.stats.record(outcome, endpoint: endpoint, latencyNanoseconds: latencyNanoseconds, now: now)
        }
        self.backoff = Self.firstBackoff
        if !keepAlive { self.close(connection) }  // the server asked to close; the next request opens another
        self.sendNext()
    }

    /// Records a request that got no answer (`.timeout` or `.connectionError`): its connection cannot carry
    /// another request. Sends the next one at once if the connection had worked, after a pause if it never did.
    func failed(_ outcome: LoadStats.Outcome, endpoint: Int, now: UInt64, on connection: VirtualUserHandler, afterAnswers: Bool) {
        self.script.failed(outcome, endpoint: endpoint, now: now)
        self.stats.record(outcome, endpoint: endpoint, latencyNanoseconds: 0, now: now)
        self.close(connection)
        if afterAnswers { self.sendNext() } else { self.pauseThenSendNext() }
    }

    /// A connection closed while no request was on it (the server closed an idle connection).
    func closed(_ connection: VirtualUserHandler) {
        self.forget(connection)
    }

    private func pauseThenSendNext() {
        let delay = self.backoff
        self.backoff = .nanoseconds(min(self.backoff.nanoseconds * 2, Self.longestBackoff.nanoseconds))
        self.pause = self.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            self.pause = nil
            self.sendNext()
        }
    }

    /// Called by the worker's timer: fails the request in flight if it has waited longer than the timeout.
    func checkTimeout(now: UInt64) {
        let limit = UInt64(self.timeout.nanoseconds)
        self.own?.checkTimeout(now: now, limit: limit)
        self.another?.checkTimeout(now: now, limit: limit)
    }

    private func close(_ connection: VirtualUserHandler) {
        self.forget(connection)
        connection.close()
    }

    private func forget(_ connection: VirtualUserHandler) {
        if self.own === connection { self.own = nil }
        if self.another === connection { self.another = nil }
    }

    private func finish() {
        guard !self.hasFinished else { return }
        self.hasFinished = true
        if let own = self.own { self.close(own) }
        if let another = self.another { self.close(another) }
        self.finished.succeed()
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}

/// Drives one connection of a ``VirtualUser``: request out, response in, timeout in between.
///
/// The only handler of its pipeline: requests go out as ready-made bytes, and answers are read in place by
/// a ``ResponseReader``, so a request costs one write, about one read, and no message per header or part.
final class VirtualUserHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let user: VirtualUser
    /// The user's connection as another user (``ScriptedRequest/asAnotherUser``), not its own.
    let asAnotherUser: Bool
    private var context: ChannelHandlerContext?
    private var reader: ResponseReader
    /// The request waiting for its answer: the endpoint it counts under and when it was sent.
    private var inFlight: (endpoint: Int, start: UInt64)?
    /// Bytes of an answer whose head is not complete yet.
    private var unread: ByteBuffer?
    /// Whether this connection has carried an answer (if not, a failure on it pauses the user).
    private var hasAnswered = false

    init(user: VirtualUser, asAnotherUser: Bool) {
        self.user = user
        self.asAnotherUser = asAnotherUser
        self.reader = ResponseReader(keepsAnswers: user.script.readsAnswers)
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        self.user.connected(self)
    }

    func send(_ request: ScriptedRequest) {
        guard let context = self.context else {
            return self.user.failed(.connectionError, endpoint: request.endpoint, now: VirtualUser.now(), on: self, afterAnswers: self.hasAnswered)
        }
        self.reader.expectAnswer(toHead: request.bytes.getInteger(at: request.bytes.readerIndex, as: UInt32.self) == Self.head)
        self.inFlight = (request.endpoint, VirtualUser.now())
        context.writeAndFlush(self.wrapOutboundOut(request.bytes), promise: nil)
    }

    /// `HEAD` as the first four bytes of a request, read as a big-endian integer.
    private static let head: UInt32 = 0x4845_4144

    func close() {
        self.context?.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = self.unwrapInboundIn(data)
        if var unread = self.unread {
            self.unread = nil
            unread.writeBuffer(&buffer)
            buffer = unread
        }
        while buffer.readableBytes > 0 {
            guard self.inFlight != nil else { return }  // bytes nobody asked for (after a timeout): dropped
            let response: ResponseReader.Response?
            do {
                response = try self.reader.read(&buffer)
            } catch {
                // Not an HTTP response: the request in flight fails as a connection error when the channel closes.
                return context.close(promise: nil)
            }
            guard let response else { break }
            self.answered(response)
        }
        if buffer.readableBytes > 0 { self.unread = buffer }
    }

    private func answered(_ response: ResponseReader.Response) {
        guard let request = self.inFlight else { return }
        self.inFlight = nil
        self.hasAnswered = true
        let now = VirtualUser.now()
        self.user.answered(
            Answer(status: response.status, headers: response.headers, body: response.body),
            endpoint: request.endpoint,
            latencyNanoseconds: now - request.start,
            now: now,
            on: self,
            keepAlive: response.keepAlive
        )
    }

    /// Fails the request in flight when it has waited more than `limit` nanoseconds. A timer per worker
    /// calls this every few milliseconds: cheaper than scheduling (and cancelling) a timer per request.
    func checkTimeout(now: UInt64, limit: UInt64) {
        guard let request = self.inFlight, now - request.start >= limit else { return }
        self.inFlight = nil
        // The answer may still arrive later; this connection cannot be reused for the next request.
        self.user.failed(.timeout, endpoint: request.endpoint, now: now, on: self, afterAnswers: self.hasAnswered)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        if self.inFlight != nil, let response = self.reader.connectionClosed() {
            self.answered(response)  // a body that ends when the connection closes
        }
        if let request = self.inFlight {
            self.inFlight = nil
            self.user.failed(.connectionError, endpoint: request.endpoint, now: VirtualUser.now(), on: self, afterAnswers: self.hasAnswered)
        } else {
            self.user.closed(self)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Reset by peer...: the request in flight fails as a connection error when the channel becomes inactive.
        context.close(promise: nil)
    }
}
