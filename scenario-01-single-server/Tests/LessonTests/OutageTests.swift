import Foundation
import LabKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension LessonTests {
    @Test("database down: both servers stay up, answer 503 with an actionable message, and recover by themselves")
    func databaseOutage() async throws {
        let lesson = try Lesson(scenarioNumber: "01", file: #filePath)
        try await lesson.prepare()
        try #require(LabDatabase.isManaged, "this test stops and starts the lab's own PostgreSQL")
        let cluster = try PostgresCluster(paths: lesson.paths)
        let port = lesson.scenario.manifest.port
        for product in ["server", "server-fixed"] {
            let server = ServerProcess(scenario: lesson.scenario, paths: lesson.paths)
            let binary = try SwiftBuild(paths: lesson.paths).install(lesson.scenario, product: product)
            _ = try await server.startBackground(binary: binary, product: product, databaseURL: try LabDatabase.url(for: lesson.scenario))
            #expect(try plainGet(port: port, path: "/users/42").status == 200)

            try cluster.stop()
            let down = try plainGet(port: port, path: "/users/42")
            #expect(down.status == 503, "\(product) while PostgreSQL is down")
            #expect(down.body.contains("PostgreSQL") || down.body.contains("database"), "\(product): \(down.body)")
            #expect(server.running() != nil, "\(product) must stay up")

            try cluster.start()
            var recovered = false
            for _ in 0..<60 where !recovered {
                recovered = (try? plainGet(port: port, path: "/users/42").status) == 200
                if !recovered { try await Task.sleep(for: .milliseconds(500)) }
            }
            #expect(recovered, "\(product) should answer 200 again within 30 s of PostgreSQL coming back")
            await server.stopBackground()
        }
    }
}

/// One blocking HTTP/1.1 GET (Connection: close) returning status and body.
func plainGet(port: Int, path: String) throws -> (status: Int, body: String) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw LabError("socket() failed") }
    defer { close(fd) }
    var timeout = timeval(tv_sec: 15, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw LabError("nothing listens on \(port)") }
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
    guard text.count > 12, let status = Int(text.dropFirst(9).prefix(3)) else {
        throw LabError("no HTTP answer from \(port)\(path)")
    }
    let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    return (status, body)
}
