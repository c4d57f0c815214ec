import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A bare HTTP server on swift-nio for the load tool's tests that need to see connections rather than
/// requests: which addresses they come from, and a server that resets some of them.
///
/// Routes: `GET /whoami` answers `{"peer": "<the client's IP address>"}`; `GET /peer-is/<ip>` answers `same`
/// when the client's address is `<ip>` and `different` otherwise; anything else answers `ok`.
final class PeerServer: Sendable {
    enum Behaviour: Sendable {
        /// Answer every request, keep-alive.
        case answer
        /// Every other connection is reset (RST) as soon as its request arrives; the others are answered with
        /// `Connection: close`, so each request of a user opens a new connection and half of them fail.
        case resetEveryOtherConnection
    }

    let port: Int
    private let channel: any Channel
    private let group: MultiThreadedEventLoopGroup
    private let state: State

    final class State: Sendable {
        let behaviour: Behaviour
        let connections = Atomic(0)
        /// Requests seen, by the client's IP address.
        let requestsByPeer = Mutex([String: Int]())
        init(behaviour: Behaviour) { self.behaviour = behaviour }
    }

    private init(port: Int, channel: any Channel, group: MultiThreadedEventLoopGroup, state: State) {
        self.port = port
        self.channel = channel
        self.group = group
        self.state = state
    }

    static func start(_ behaviour: Behaviour = .answer) async throws -> PeerServer {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let state = State(behaviour: behaviour)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let number = state.connections.wrappingAdd(1, ordering: .relaxed).newValue
                    let reset = behaviour == .resetEveryOtherConnection && number % 2 == 1
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(state: state, reset: reset))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        guard let port = channel.localAddress?.port else { throw TestFailure() }
        return PeerServer(port: port, channel: channel, group: group, state: state)
    }

    var url: String { "http://127.0.0.1:\(self.port)" }

    /// Requests seen so far, by the client's IP address.
    var requestsByPeer: [String: Int] { self.state.requestsByPeer.withLock { $0 } }

    func stop() async {
        try? await self.channel.close()
        try? await self.group.shutdownGracefully()
    }

    final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let state: State
        let reset: Bool
        var uri = ""

        init(state: State, reset: Bool) {
            self.state = state
            self.reset = reset
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .head(let head): self.uri = head.uri
            case .body: break
            case .end: self.respond(context: context)
            }
        }

        private func respond(context: ChannelHandlerContext) {
            let peer = context.channel.remoteAddress?.ipAddress ?? "?"
            self.state.requestsByPeer.withLock { $0[peer, default: 0] += 1 }
            if self.reset {
                // SO_LINGER with a zero timeout makes close() send a reset instead of a normal close.
                let channel = context.channel
                guard let socket = channel as? any SocketOptionProvider else { return channel.close(promise: nil) }
                socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
                return
            }
            let body =
                if self.uri == "/whoami" {
                    #"{"peer": "\#(peer)"}"#
                } else if self.uri.hasPrefix("/peer-is/") {
                    self.uri.dropFirst("/peer-is/".count) == peer ? "same" : "different"
                } else {
                    "ok"
                }
            var headers = HTTPHeaders([("Content-Length", String(body.utf8.count))])
            let close = self.state.behaviour == .resetEveryOtherConnection
            if close { headers.add(name: "Connection", value: "close") }
            context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))), promise: nil)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                if close { channel.close(promise: nil) }
            }
        }
    }
}
