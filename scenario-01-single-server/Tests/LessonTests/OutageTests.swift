import Foundation
import LabKit
import LabTesting
import Testing

extension LessonTests {
    @Test("database down: both servers stay up, answer 503 with an actionable message, and recover by themselves")
    func databaseOutage() async throws {
        let lesson = try Lesson(scenarioNumber: "01", file: #filePath)
        try await lesson.prepare()
        try #require(!PostgresService.isExternal, "this test stops and starts the lab's own PostgreSQL")
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

/// One blocking GET with the tooling's plain socket client.
func plainGet(port: Int, path: String) throws -> (status: Int, body: String) {
    guard let response = LocalHTTP.get(port: port, path: path) else { throw LabError("no HTTP answer from 127.0.0.1:\(port)\(path)") }
    return (response.status, response.body)
}
