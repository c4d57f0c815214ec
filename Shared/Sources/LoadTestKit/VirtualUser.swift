import NIOCore
import NIOHTTP1
import NIOPosix

/// One virtual user: a keep-alive connection that sends a request, waits for the answer (or the timeout),
/// records the outcome, and sends the next. Reconnects when the connection breaks or times out. Which
/// request comes next and whether its answer is right is its ``UserScript``'s business.
///
/// Lives on one event loop and is only touched from it, like its ``LoadStats``.
final class VirtualUser {
    let eventLoop: any EventLoop
    let script: any UserScript
    let stats: LoadStats
    let target: HTTPTarget
    let timeout: TimeAmount
    private var running = true
    private var activeHandler: VirtualUserHandler?
    private var isConnecting = false
    private let finished: EventLoopPromise<Void>
    private var hasFinished = false

    init(eventLoop: any EventLoop, script: any UserScript, stats: LoadStats, target: HTTPTarget, timeout: TimeAmount) {
        self.eventLoop = eventLoop
        self.script = script
        self.stats = stats
        self.target = target
        self.timeout = timeout
        self.finished = eventLoop.makePromise()
    }

    /// Whether to send another request: until the test's time is up, and then until the journey under way
    /// (if any) has ended, so every journey started is judged as a whole.
    var keepsGoing: Bool { self.running || self.script.isMidJourney }

    /// Completes when the user has stopped and its last request has been counted.
    var finishedFuture: EventLoopFuture<Void> { self.finished.futureResult }

    func start() {
        self.connect()
    }

    /// Stop sending new requests; the one in flight (if any) still completes or times out and is counted.
    func stop() {
        self.running = false
        if self.activeHandler == nil && !self.isConnecting && !self.keepsGoing { self.finish() }
    }

    func nextRequest() -> (endpoint: Int, request: ByteBuffer) {
        let next = self.script.next()
        self.stats.recordSent(endpoint: next.endpoint)
        return next
    }

    /// Records the answer to a request: the script judges it, the stats count the outcome.
    func answered(_ answer: Answer, endpoint: Int, latencyNanoseconds: UInt64, now: UInt64) {
        let outcome = self.script.judge(answer, endpoint: endpoint, now: now)
        self.stats.record(outcome, endpoint: endpoint, latencyNanoseconds: latencyNanoseconds, now: now)
    }

    /// Records a request that got no answer (`.timeout` or `.connectionError`).
    func failed(_ outcome: LoadStats.Outcome, endpoint: Int, latencyNanoseconds: UInt64?, now: UInt64) {
        self.script.failed(outcome, endpoint: endpoint, now: now)
        self.stats.record(outcome, endpoint: endpoint, latencyNanoseconds: latencyNanoseconds, now: now)
    }

    private func connect() {
        guard self.keepsGoing else { return self.finish() }
        self.isConnecting = true
        let user = NIOLoopBound(self, eventLoop: self.eventLoop)
        ClientBootstrap(group: self.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(self.timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Requests go out as ready-made bytes (PreEncodedRequestWriter), so no request encoder runs per
                    // request; the response decoder still sees each request head to pair answers with requests.
                    try channel.pipeline.syncOperations.addHandler(PreEncodedRequestWriter())
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)))
                    try channel.pipeline.syncOperations.addHandler(VirtualUserHandler(user: user.value))
                }
            }
            .connect(host: self.target.host, port: self.target.port)
            .assumeIsolated()
            .whenComplete { result in
                self.isConnecting = false
                if case .failure = result {
                    // The request this user meant to send could not even start: count it, then retry after a
                    // short pause so a dead server does not turn the load tool into a busy loop.
                    let endpoint = self.nextRequest().endpoint
                    self.failed(.connectionError, endpoint: endpoint, latencyNanoseconds: nil, now: Self.now())
                    self.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(10)) { self.connect() }
                }
            }
    }

    func handlerBecameActive(_ handler: VirtualUserHandler) {
        self.activeHandler = handler
    }

    /// Called by the worker's timer: fails the request in flight if it has waited longer than the timeout.
    func checkTimeout(now: UInt64) {
        self.activeHandler?.checkTimeout(now: now, limit: UInt64(self.timeout.nanoseconds))
    }

    /// The connection closed (server closed it, it broke, or we closed it after a timeout).
    func handlerClosed() {
        self.activeHandler = nil
        if self.keepsGoing { self.connect() } else { self.finish() }
    }

    private func finish() {
        guard !self.hasFinished else { return }
        self.hasFinished = true
        self.finished.succeed()
    }

    static func now() -> UInt64 { NIODeadline.now().uptimeNanoseconds }
}

/// Drives one connection of a ``VirtualUser``: request out, response in, timeout in between.
final class VirtualUserHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// What the response decoder is told about each request (it only looks at the method).
    private static let observedHead = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")

    private let user: VirtualUser
    private var context: ChannelHandlerContext?
    private struct InFlight {
        var endpoint: Int
        var start: UInt64
        var status: Int = 0
        var keepAlive = true
        /// Collected only when the script reads answers.
        var headers = HTTPHeaders()
        var body: ByteBuffer?
    }
    private var inFlight: InFlight?

    init(user: VirtualUser) {
        self.user = user
    }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        self.user.handlerBecameActive(self)
        self.sendNext(context: context)
    }

    private func sendNext(context: ChannelHandlerContext) {
        guard self.user.keepsGoing else {
            context.close(promise: nil)
            return
        }
        let (endpoint, request) = self.user.nextRequest()
        self.inFlight = InFlight(endpoint: endpoint, start: VirtualUser.now())
        context.write(self.wrapOutboundOut(.head(Self.observedHead)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(request))), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.inFlight?.status = Int(head.status.code)
            self.inFlight?.keepAlive = head.isKeepAlive
            if self.user.script.readsAnswers { self.inFlight?.headers = head.headers }
        case .body(var part):
            guard self.user.script.readsAnswers, self.inFlight != nil else { break }
            if self.inFlight?.body == nil {
                self.inFlight?.body = part
            } else {
                self.inFlight?.body?.writeBuffer(&part)
            }
        case .end:
            guard let request = self.inFlight else { return }
            self.inFlight = nil
            let now = VirtualUser.now()
            self.user.answered(
                Answer(status: request.status, headers: request.headers, body: request.body),
                endpoint: request.endpoint,
                latencyNanoseconds: now - request.start,
                now: now
            )
            if request.keepAlive {
                self.sendNext(context: context)
            } else {
                context.close(promise: nil)  // the server asked to close; the user reconnects
            }
        }
    }

    /// Fails the request in flight when it has waited more than `limit` nanoseconds. A timer per worker
    /// calls this every few milliseconds: cheaper than scheduling (and cancelling) a timer per request.
    func checkTimeout(now: UInt64, limit: UInt64) {
        guard let request = self.inFlight, now - request.start >= limit, let context = self.context else { return }
        self.inFlight = nil
        self.user.failed(.timeout, endpoint: request.endpoint, latencyNanoseconds: now - request.start, now: now)
        // The answer may still arrive later; this connection cannot be reused for the next request.
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        if let request = self.inFlight {
            self.inFlight = nil
            self.user.failed(.connectionError, endpoint: request.endpoint, latencyNanoseconds: nil, now: VirtualUser.now())
        }
        self.user.handlerClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Reset by peer, a malformed response...: the request in flight fails as a connection error when
        // the channel becomes inactive.
        context.close(promise: nil)
    }
}

/// First handler of a virtual user's pipeline: sends the ready-made request bytes (carried as the body part)
/// and drops the head part, which only exists so the response decoder can pair answers with requests.
final class PreEncodedRequestWriter: ChannelOutboundHandler {
    typealias OutboundIn = HTTPClientRequestPart
    typealias OutboundOut = IOData

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .body(let bytes):
            context.write(self.wrapOutboundOut(bytes), promise: promise)
        case .head, .end:
            promise?.succeed()
        }
    }
}
