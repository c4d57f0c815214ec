import NIOCore
import NIOPosix
import Prometheus
import Synchronization

/// One TCP connection to Redis, shared safely by any number of concurrent callers.
///
/// Commands are *pipelined*: each caller's command is written as soon as it is sent, without waiting for the
/// replies of earlier ones, and Redis answers in order, so the n-th reply belongs to the n-th command. A
/// caller whose task is cancelled, or whose deadline passes, stops waiting at once, but its reply is still
/// read and discarded when it comes, so nobody else ever receives it.
///
/// Most code uses ``RedisPool`` instead, which keeps a fixed number of these open and reconnects them. Open
/// one directly for what must not share a pooled connection: blocking reads (`XREADGROUP ... BLOCK`, see
/// ``xreadgroup(group:consumer:streams:count:block:)``). Close it with ``close()`` when done.
public final class RedisConnection: RedisCommands, Sendable {
    public let configuration: RedisConfiguration
    /// What the handshake settled on: RESP3 unless the server refused `HELLO 3`.
    public let protocolVersion: RedisProtocolVersion
    let channel: any Channel
    let handler: NIOLoopBound<RedisChannelHandler>
    let outbox: RedisOutbox
    let metrics: RedisMetrics
    /// Set while a `WATCH` or `MULTI` sent here is not yet ended by `EXEC`, `DISCARD` or `UNWATCH`: the pool
    /// closes such a connection instead of lending it on, so the next caller never inherits a transaction.
    private let transactionOpen = Atomic<Bool>(false)

    private init(
        configuration: RedisConfiguration,
        protocolVersion: RedisProtocolVersion,
        channel: any Channel,
        handler: NIOLoopBound<RedisChannelHandler>,
        outbox: RedisOutbox,
        metrics: RedisMetrics
    ) {
        self.configuration = configuration
        self.protocolVersion = protocolVersion
        self.channel = channel
        self.handler = handler
        self.outbox = outbox
        self.metrics = metrics
    }

    /// Connects, negotiates the protocol (`HELLO 3`, or RESP2 when refused), authenticates and selects the
    /// database.
    /// - Throws: ``RedisUnavailableError`` when Redis cannot be reached or refuses the credentials.
    public static func connect(
        configuration: RedisConfiguration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> RedisConnection {
        try await self.connect(configuration: configuration, eventLoop: eventLoopGroup.any(), metrics: .shared)
    }

    static func connect(configuration: RedisConfiguration, eventLoop: any EventLoop, metrics: RedisMetrics) async throws -> RedisConnection {
        let outbox = RedisOutbox()
        let channel: any Channel
        let handler: NIOLoopBound<RedisChannelHandler>
        do {
            channel = try await ClientBootstrap(group: eventLoop)
                .connectTimeout(TimeAmount(configuration.connectTimeout))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(RedisChannelHandler(outbox: outbox, configuration: configuration))
                    }
                }
                .connect(host: configuration.host, port: configuration.port)
                .get()
            handler = try await channel.eventLoop.submit {
                NIOLoopBound(try channel.pipeline.syncOperations.handler(type: RedisChannelHandler.self), eventLoop: channel.eventLoop)
            }.get()
        } catch {
            throw RedisUnavailableError.unreachable(configuration, error)
        }
        metrics.connectionsOpened.increment()
        // Handshake commands go through the same machinery, on a connection that does not know its protocol yet.
        let provisional = RedisConnection(
            configuration: configuration,
            protocolVersion: .resp2,
            channel: channel,
            handler: handler,
            outbox: outbox,
            metrics: metrics
        )
        do {
            return RedisConnection(
                configuration: configuration,
                protocolVersion: try await provisional.handshake(),
                channel: channel,
                handler: handler,
                outbox: outbox,
                metrics: metrics
            )
        } catch {
            try? await channel.close()
            throw RedisUnavailableError.unreachable(configuration, error)
        }
    }

    /// `HELLO 3 [AUTH] [SETNAME]`, or on a server that refuses it `AUTH` and `CLIENT SETNAME`; then `SELECT`.
    private func handshake() async throws -> RedisProtocolVersion {
        let configuration = self.configuration
        var version = RedisProtocolVersion.resp2
        if configuration.protocolVersion == .resp3 {
            var hello = ["3"]
            if let password = configuration.password { hello += ["AUTH", configuration.username ?? "default", password] }
            if let name = configuration.clientName { hello += ["SETNAME", name] }
            do {
                _ = try await self.send(RedisCommand(name: "HELLO", arguments: hello))
                version = .resp3
            } catch let error as RedisServerError where error.code == "NOPROTO" || error.message.lowercased().contains("unknown command") {
                // A server without RESP3 (Redis before 6, or HELLO disabled): RESP2 with separate AUTH.
            }
        }
        if version == .resp2 {
            if let password = configuration.password {
                let arguments = configuration.username.map { [$0, password] } ?? [password]
                _ = try await self.send(RedisCommand(name: "AUTH", arguments: arguments))
            }
            if let name = configuration.clientName {
                _ = try await self.send(RedisCommand("CLIENT", "SETNAME", name))
            }
        }
        if configuration.database != 0 {
            _ = try await self.send(RedisCommand("SELECT", String(configuration.database)))
        }
        return version
    }

    // MARK: Sending

    /// Sends one command and returns its reply.
    /// - Throws: ``RedisServerError`` when Redis answers with an error, ``RedisUnavailableError`` when the
    ///   connection is closed, drops or the reply misses its deadline, `CancellationError` when the
    ///   caller's task is cancelled.
    public func send(_ command: RedisCommand) async throws -> RESPValue {
        self.track(command.name)
        let start = ContinuousClock.now
        do {
            let reply = try await self.execute(command)
            if case .error(let message) = reply { throw RedisServerError(message) }
            self.metrics.record(command: command.name, duration: ContinuousClock.now - start, error: nil)
            return reply
        } catch {
            self.metrics.record(command: command.name, duration: ContinuousClock.now - start, error: error)
            throw error
        }
    }

    /// Sends all `commands` in one write and returns their replies in order. A command Redis refuses has
    /// its ``RESPValue/error(_:)`` in place; the others still run (a pipeline is not a transaction: see
    /// ``RedisCommands/transaction(_:)``).
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RESPValue] {
        guard let first = commands.first else { return [] }
        for command in commands { self.track(command.name) }
        let start = ContinuousClock.now
        var bytes = first.bytes
        var blocking = first.blockingTime
        for command in commands.dropFirst() {
            var next = command.bytes
            bytes.writeBuffer(&next)
            blocking += command.blockingTime
        }
        let pending = PendingReplies(expected: commands.count, timeout: self.configuration.commandTimeout + blocking, commandName: first.name)
        do {
            let replies = try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { continuation in
                    guard pending.wait(forAll: continuation) else { return }
                    self.submit(pending, bytes)
                }
            } onCancel: {
                pending.fail(CancellationError())
            }
            let duration = ContinuousClock.now - start
            for (command, reply) in zip(commands, replies) {
                if case .error = reply {
                    self.metrics.record(command: command.name, duration: duration, error: RedisServerError(""))
                } else {
                    self.metrics.record(command: command.name, duration: duration, error: nil)
                }
            }
            return replies
        } catch {
            let duration = ContinuousClock.now - start
            for command in commands { self.metrics.record(command: command.name, duration: duration, error: error) }
            throw error
        }
    }

    /// Sends one command and returns the raw reply (errors included), without metrics.
    func execute(_ command: RedisCommand) async throws -> RESPValue {
        let pending = PendingReplies(expected: 1, timeout: self.configuration.commandTimeout + command.blockingTime, commandName: command.name)
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                guard pending.wait(for: continuation) else { return }
                self.submit(pending, command.bytes)
            }
        } onCancel: {
            pending.fail(CancellationError())
        }
    }

    private func submit(_ pending: PendingReplies, _ bytes: ByteBuffer) {
        switch self.outbox.append(pending, bytes) {
        case .queued:
            break
        case .scheduleWrite:
            let handler = self.handler
            self.channel.eventLoop.execute { handler.value.writeQueued() }
        case .closed(let error):
            pending.fail(error)
        }
    }

    private func track(_ name: String) {
        switch name {
        case "WATCH", "MULTI": self.transactionOpen.store(true, ordering: .relaxed)
        case "EXEC", "DISCARD", "UNWATCH", "RESET": self.transactionOpen.store(false, ordering: .relaxed)
        default: break
        }
    }

    /// True when a `WATCH` or `MULTI` was sent and not ended (see ``RedisPool/withConnection(_:)``).
    var hasOpenTransaction: Bool {
        self.transactionOpen.load(ordering: .relaxed)
    }

    // MARK: Lifetime

    /// True once the connection has closed (dropped, timed out, or ``close()``d); every later command fails.
    public var isClosed: Bool {
        self.outbox.closedBecause != nil
    }

    /// Closes the connection. Commands still waiting fail with ``RedisUnavailableError``.
    public func close() async {
        let handler = self.handler
        let configuration = self.configuration
        self.channel.eventLoop.execute {
            handler.value.close(because: RedisUnavailableError(message: "the connection to Redis at \(configuration) was closed by the client"))
        }
        try? await self.channel.closeFuture.get()
    }

    /// Returns when the connection has closed, or closes it when the calling task is cancelled.
    func waitUntilClosed() async {
        await withTaskCancellationHandler {
            try? await self.channel.closeFuture.get()
        } onCancel: {
            self.channel.close(promise: nil)
        }
    }
}
