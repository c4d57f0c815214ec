import NIOCore
import NIOHTTP1
import NIOPosix

/// One virtual user: a keep-alive connection that sends a request, waits for the answer (or the timeout),
/// records the outcome, and sends the next. Reconnects when the connection breaks or times out.
///
/// Lives on one event loop and is only touched from it, like its ``LoadStats``.
final class VirtualUser {
    let eventLoop: any EventLoop
    let mix: RequestMix
    let stats: LoadStats
    let target: HTTPTarget
    let timeout: TimeAmount
    var rng: SplitMix64
    private(set) var running = true
    private var activeHandler: VirtualUserHandler?
    private var isConnecting = false
    private let finished: EventLoopPromise<Void>
    private var hasFinished = false

    init(eventLoop: any EventLoop, mix: RequestMix, stats: LoadStats, target: HTTPTarget, timeout: TimeAmount, seed: UInt64) {
        self.eventLoop = eventLoop
        self.mix = mix
        self.stats = stats
        self.target = target
        self.timeout = timeout
        self.rng = SplitMix64(seed: seed)
        self.finished = eventLoop.makePromise()
    }

    /// Completes when the user has stopped and its last request has been counted.
    var finishedFuture: EventLoopFuture<Void> { self.finished.futureResult }

    func start() {
        self.connect()
    }

    /// Stop sending new requests; the one in flight (if any) still completes or times out and is counted.
    func stop() {
        self.running = false
        if self.activeHandler == nil && !self.isConnecting { self.finish() }
    }

    func nextRequest() -> (endpoint: Int, request: ByteBuffer) {
        self.mix.pick(using: &self.rng)
    }

    private func connect() {
        guard self.running else { return self.finish() }
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
                    self.stats.recordSent(endpoint: endpoint)
                    self.stats.record(.connectionError, endpoint: endpoint, latencyNanoseconds: nil, now: Self.now())
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
        if self.running { self.connect() } else { self.finish() }
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
        guard self.user.running else {
            context.close(promise: nil)
            return
        }
        let (endpoint, request) = self.user.nextRequest()
        self.user.stats.recordSent(endpoint: endpoint)
        self.inFlight = InFlight(endpoint: endpoint, start: VirtualUser.now())
        context.write(self.wrapOutboundOut(.head(Self.observedHead)), promise: nil)
        context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(request))), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.inFlight?.status = Int(head.status.code)
            self.inFlight?.keepAlive = head.isKeepAlive
        case .body:
            break
        case .end:
            guard let request = self.inFlight else { return }
            self.inFlight = nil
            let now = VirtualUser.now()
            let outcome: LoadStats.Outcome = (200..<300).contains(request.status) ? .success : .httpError(status: request.status)
            self.user.stats.record(outcome, endpoint: request.endpoint, latencyNanoseconds: now - request.start, now: now)
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
        self.user.stats.record(.timeout, endpoint: request.endpoint, latencyNanoseconds: now - request.start, now: now)
        // The answer may still arrive later; this connection cannot be reused for the next request.
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.context = nil
        if let request = self.inFlight {
            self.inFlight = nil
            self.user.stats.record(.connectionError, endpoint: request.endpoint, latencyNanoseconds: nil, now: VirtualUser.now())
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
