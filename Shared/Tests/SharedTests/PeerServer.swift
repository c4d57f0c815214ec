import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A bare HTTP server on swift-nio for the load tool's tests that need to see connections rather than
/// requests: which addresses they come from, and a server that resets some of them.
///
/// Routes: `GET /whoami` answers `{"peer": "<the client's IP address>"}`; `GET /peer-is/<ip>` answers `same`
/// when the client's address is `<ip>` and `different` otherwise; `/chunked`, `/until-close`, `/interim`,
/// `/no-content` and `/garbage` answer in the ways HTTP allows (and one it does not), in pieces; anything
/// else answers `ok`.
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

    /// Reads requests (a head without a body is all the tests send) and writes each answer as raw bytes, so
    /// a test can send what a real server might: chunks split over several writes, a body ended by closing.
    final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer

        let state: State
        let reset: Bool
        var received = ByteBuffer()

        init(state: State, reset: Bool) {
            self.state = state
            self.reset = reset
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = self.unwrapInboundIn(data)
            self.received.writeBuffer(&bytes)
            while let text = self.received.getString(at: self.received.readerIndex, length: self.received.readableBytes),
                let end = text.range(of: "\r\n\r\n")
            {
                self.received.moveReaderIndex(forwardBy: text[..<end.upperBound].utf8.count)
                let path = text.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
                self.respond(to: path, context: context)
            }
        }

        private func respond(to path: String, context: ChannelHandlerContext) {
            let peer = context.channel.remoteAddress?.ipAddress ?? "?"
            self.state.requestsByPeer.withLock { $0[peer, default: 0] += 1 }
            let channel = context.channel
            if self.reset {
                // SO_LINGER with a zero timeout makes close() send a reset instead of a normal close.
                guard let socket = channel as? any SocketOptionProvider else { return channel.close(promise: nil) }
                socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
                return
            }
            let close = self.state.behaviour == .resetEveryOtherConnection
            func answer(_ body: String) -> [String] {
                ["HTTP/1.1 200 OK\r\nContent-Length: \(body.utf8.count)\r\n\(close ? "Connection: close\r\n" : "")\r\n\(body)"]
            }
            // Each string is written and flushed on its own, so the client reads the answer in pieces.
            let pieces: [String]
            var closeAfter = close
            switch path {
            case "/whoami": pieces = answer(#"{"peer": "\#(peer)"}"#)
            case _ where path.hasPrefix("/peer-is/"): pieces = answer(path.dropFirst("/peer-is/".count) == peer ? "same" : "different")
            case "/chunked":
                pieces = [
                    "HTTP/1.1 200 OK\r\nTransfer-Enc", "oding: chunked\r\nSet-Cookie: a=1\r\n\r\n4\r\nWi", "ki\r\n5;ext=1\r\npedia\r",
                    "\n0\r\nX-Trailer: 1\r\n\r\n",
                ]
            case "/until-close":
                pieces = ["HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nread until ", "the end"]
                closeAfter = true
            case "/interim": pieces = ["HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nafter"]
            case "/no-content": pieces = ["HTTP/1.1 204 No Content\r\n\r\n"]
            case "/garbage": pieces = ["SMTP ready\r\n\r\n"]
            default: pieces = answer("ok")
            }
            for piece in pieces {
                context.writeAndFlush(self.wrapOutboundOut(ByteBuffer(string: piece)), promise: nil)
            }
            if closeAfter { context.close(promise: nil) }
        }
    }
}
