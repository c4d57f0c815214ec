import Foundation
import Hummingbird
import LabKit
import LabServer
import NIOCore
import Synchronization

/// A real lab HTTP server on a free loopback port, for tests that need one (no database involved).
///
/// Its `/slow` route sleeps on purpose: it stands in for a server that does not answer in time, so the load
/// tool's timeout counting can be tested. No scenario server ever sleeps.
struct TestServer {
    let port: Int
    private let task: Task<Void, any Error>
    /// The last body `POST /echo` received.
    private let echo: Echo

    final class Echo: Sendable {
        let body = Mutex("")
        /// What `PUT /notes/{id}` stored, and what it stored before that (which `/stale-notes/{id}` answers).
        let notes = Mutex([String: (current: String, previous: String)]())
    }

    func echoed() -> String { self.echo.body.withLock { $0 } }

    static func start() async throws -> TestServer {
        let router = LabApplication.makeRouter()
        let echo = Echo()
        router.get("/ok") { _, _ in "ok" }
        router.post("/echo") { request, _ -> String in
            let body = try await request.body.collect(upTo: 1 << 16)
            echo.body.withLock { $0 = String(buffer: body) }
            return "ok"
        }
        router.get("/metrics-test") { _, _ in "ok" }
        router.get("/boom") { _, _ -> String in throw TestFailure() }
        router.get("/teapot") { _, _ -> String in throw HTTPError(.badRequest, message: "bad") }
        router.get("/bad-gateway") { _, _ -> Response in
            let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx</body>\r\n</html>\r\n"
            return Response(status: .badGateway, headers: [.contentType: "text/html"], body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        // For journeys: a login that sets a cookie and answers JSON, a page that needs the cookie, a note
        // written and read back, and a read that answers the previous note (stale data with a 200).
        router.post("/login") { request, _ -> Response in
            let name = String(buffer: try await request.body.collect(upTo: 1 << 16))
            var response = Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: #"{"id": 7, "name": "\#(name)", "tags": [1]}"#)))
            response.setCookie(Cookie(name: "who", value: name, path: "/"))
            response.setCookie(Cookie(name: "theme", value: "dark", path: "/"))
            return response
        }
        router.get("/me") { request, _ -> Response in
            guard let who = request.cookies["who"]?.value, request.cookies["theme"]?.value == "dark" else {
                return Response(status: .unauthorized)
            }
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "hello \(who)")))
        }
        router.put("/notes/{id}") { request, context -> String in
            let id = try context.parameters.require("id")
            let text = String(buffer: try await request.body.collect(upTo: 1 << 16))
            echo.notes.withLock { $0[id] = (text, $0[id]?.current ?? "") }
            return "ok"
        }
        router.get("/notes/{id}") { _, context -> String in
            let id = try context.parameters.require("id")
            return echo.notes.withLock { $0[id]?.current ?? "" }
        }
        router.get("/stale-notes/{id}") { _, context -> String in
            let id = try context.parameters.require("id")
            return echo.notes.withLock { $0[id]?.previous ?? "" }
        }
        router.get("/slow") { _, _ -> String in
            try await Task.sleep(for: .seconds(2))
            return "late"
        }
        let (stream, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                continuation.yield(channel.localAddress?.port ?? 0)
                continuation.finish()
            }
        )
        let task = Task { try await app.run() }
        var iterator = stream.makeAsyncIterator()
        guard let port = await iterator.next(), port > 0 else { throw TestFailure() }
        return TestServer(port: port, task: task, echo: echo)
    }

    var url: String { "http://127.0.0.1:\(self.port)" }

    func stop() async {
        self.task.cancel()
        _ = await self.task.result
    }

    /// Sends one GET and returns (status, body), with the tooling's plain socket client (not the load tool).
    func get(_ path: String) throws -> (status: Int, body: String) {
        guard let response = LocalHTTP.get(port: self.port, path: path) else { throw TestFailure() }
        return (response.status, response.body)
    }
}

struct TestFailure: Error {}
