import NIOCore

/// The event-loop side of one connection: writes queued commands, decodes replies and hands each to the
/// oldest command still owed one, routes pushed messages (pub/sub) elsewhere, enforces deadlines, and fails
/// everything still waiting when the connection ends.
///
/// Only ever touched on its channel's event loop; callers on other threads talk to it through the
/// ``RedisOutbox``.
final class RedisChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let outbox: RedisOutbox
    private let configuration: RedisConfiguration
    private var decoder = NIOSingleStepByteToMessageProcessor(RESPDecoder(), maximumBufferSize: RESPParser.maximumBulkLength + 1024)
    /// Commands written and still owed replies, oldest first.
    private var queue = CircularBuffer<PendingReplies>(initialCapacity: 16)
    private var spare: [(PendingReplies, ByteBuffer)] = []
    private var context: ChannelHandlerContext?
    private var closed = false
    private var timer: Scheduled<Void>?
    private var timerDeadline: NIODeadline?

    /// Where pushed data goes (RESP3 `>` frames; in RESP2 subscriber mode, message arrays). Nil drops it.
    var onPush: ((RESPValue) -> Void)?
    /// Told once, with the reason, when the connection closes (a subscription ends its sequence with it).
    var onClose: ((any Error) -> Void)?
    /// Set once the connection subscribes: from then on RESP2 arrays that are pub/sub messages are pushes.
    var isSubscriber = false

    init(outbox: RedisOutbox, configuration: RedisConfiguration) {
        self.outbox = outbox
        self.configuration = configuration
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes everything callers queued since the last call, in one flush.
    func writeQueued() {
        guard let context = self.context, !self.closed else {
            // Closed meanwhile: `closeAll` already failed whatever the outbox held.
            return
        }
        self.outbox.take(swappingWith: &self.spare)
        var wrote = false
        for (pending, bytes) in self.spare {
            // Cancelled before it was written: never send it, so there is no reply to drain either.
            if pending.isAbandoned { continue }
            self.queue.append(pending)
            self.armTimer(for: pending.deadline)
            context.write(self.wrapOutboundOut(bytes), promise: nil)
            wrote = true
        }
        self.spare.removeAll(keepingCapacity: true)
        if wrote { context.flush() }
    }

    /// Writes bytes that expect no reply of their own (`SUBSCRIBE`: its confirmations arrive as pushes).
    func writeWithoutReply(_ bytes: ByteBuffer) {
        guard let context = self.context, !self.closed else { return }
        context.writeAndFlush(self.wrapOutboundOut(bytes), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        do {
            try self.decoder.process(buffer: buffer) { value in
                self.route(value)
            }
        } catch {
            self.closeAll(because: error, context: context)
        }
    }

    private func route(_ value: RESPValue) {
        if self.isPush(value) {
            self.onPush?(value)
            return
        }
        guard let head = self.queue.first else {
            if self.isSubscriber, let onPush = self.onPush {
                onPush(value)
                return
            }
            if let context = self.context {
                self.closeAll(because: RedisProtocolError("a reply no command asked for: \(value)"), context: context)
            }
            return
        }
        if head.receive(value) { self.queue.removeFirst() }
    }

    private func isPush(_ value: RESPValue) -> Bool {
        switch value {
        case .push: return true
        case .attribute(_, let inner): return self.isPush(inner)
        case .array(let items) where self.isSubscriber:
            guard let kind = items.first?.string else { return false }
            switch kind {
            case "message", "pmessage", "smessage", "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe",
                "sunsubscribe":
                return true
            default:
                return false
            }
        default: return false
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.closeAll(because: RedisUnavailableError.connectionLost(self.configuration, nil), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason: any Error =
            error is RedisProtocolError ? error : RedisUnavailableError.connectionLost(self.configuration, error)
        self.closeAll(because: reason, context: context)
    }

    /// Closes the connection (if it is not already) and fails every caller still waiting, with `error`.
    func closeAll(because error: any Error, context: ChannelHandlerContext) {
        let unwritten = self.outbox.close(because: error)
        for (pending, _) in unwritten { pending.fail(error) }
        guard !self.closed else { return }
        self.closed = true
        self.timer?.cancel()
        self.timer = nil
        while let pending = self.queue.popFirst() { pending.fail(error) }
        self.onPush = nil
        if let onClose = self.onClose {
            self.onClose = nil
            onClose(error)
        }
        context.close(promise: nil)
    }

    /// Closes on request (``RedisConnection/close()``).
    func close(because error: any Error) {
        guard let context = self.context else { return }
        self.closeAll(because: error, context: context)
    }

    // MARK: Deadlines

    /// One timer per connection, set for the earliest deadline: commands usually share one timeout, so a
    /// new command rarely moves it, and no timer is created per command.
    private func armTimer(for deadline: NIODeadline) {
        if let current = self.timerDeadline, current <= deadline { return }
        guard let context = self.context else { return }
        self.timer?.cancel()
        self.timerDeadline = deadline
        let loopBound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(deadline: deadline) {
            loopBound.value.deadlinePassed()
        }
    }

    /// A reply still owed past its deadline means Redis is stuck or gone, and every command behind it on
    /// this connection would wait just as long (replies come in order). So the late command fails with a
    /// timeout, the connection closes, and everything behind it fails too; the pool opens a fresh one.
    private func deadlinePassed() {
        self.timer = nil
        self.timerDeadline = nil
        guard let context = self.context, !self.closed else { return }
        let now = NIODeadline.now()
        var next: NIODeadline?
        var late: PendingReplies?
        for pending in self.queue {
            if pending.deadline <= now {
                late = late ?? pending
            } else {
                next = min(next ?? pending.deadline, pending.deadline)
            }
        }
        if let late {
            let timeout = RedisUnavailableError.timeout(self.configuration, command: late.commandName, after: late.timeout)
            late.fail(timeout)
            self.closeAll(because: timeout, context: context)
        } else if let next {
            self.armTimer(for: next)
        }
    }
}
