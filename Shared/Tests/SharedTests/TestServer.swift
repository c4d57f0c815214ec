import Foundation
import Hummingbird
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

    static func start() async throws -> TestServer {
        let router = LabApplication.makeRouter()
        router.get("/ok") { _, _ in "ok" }
        router.get("/metrics-test") { _, _ in "ok" }
        router.get("/boom") { _, _ -> String in throw TestFailure() }
        router.get("/teapot") { _, _ -> String in throw HTTPError(.badRequest, message: "bad") }
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
        return TestServer(port: port, task: task)
    }

    var url: String { "http://127.0.0.1:\(self.port)" }

    func stop() async {
        self.task.cancel()
        _ = await self.task.result
    }

    /// Sends one GET and returns (status, body). Uses the load tool's own engine would hide its bugs, so
    /// this is a plain blocking socket exchange.
    func get(_ path: String) throws -> (status: Int, body: String) {
        try plainGet(port: self.port, path: path)
    }
}

struct TestFailure: Error {}

/// A minimal HTTP/1.1 GET over a blocking socket (Connection: close), for checking responses in tests.
func plainGet(port: Int, path: String) throws -> (status: Int, body: String) {
    #if canImport(Glibc)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #endif
    guard fd >= 0 else { throw TestFailure() }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw TestFailure() }
    let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8)
    _ = write(fd, request, request.count)
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &chunk, chunk.count)
        if n <= 0 { break }
        bytes += chunk[0..<n]
    }
    let text = String(decoding: bytes, as: UTF8.self)
    guard text.count > 12, let status = Int(text.dropFirst(9).prefix(3)) else { throw TestFailure() }
    let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    return (status, body)
}

#if canImport(Glibc)
import Glibc
#endif
