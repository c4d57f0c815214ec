import Foundation
import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// Wrong fixes a learner might try by changing the topology instead of the code: both must fail the check.
    @Test("check: one instance is refused; behind ip_hash the sticky balancer, the stale cache and the lost files are found")
    func topologyWorkarounds() async throws {
        let lesson = try Lesson(scenarioNumber: "04", file: #filePath)
        try await lesson.prepare()
        try await Self.startingPoint(lesson)
        // One instance keeps every piece of state in one memory: the naive server would pass untouched.
        await #expect(throws: LabError.self) { try await lesson.check("server", label: "naive, one instance", instances: 1) }

        // Sticky sessions: the scenario's own nginx.conf with ip_hash added, as a learner would edit it.
        let sticky = try Self.behindIPHash(lesson)
        try await Self.startingPoint(sticky)
        let outcome = try await sticky.check("server", label: "naive behind ip_hash")
        try await Self.startingPoint(lesson)
        let found = outcome.findings.map(\.problem.id)
        #expect(!outcome.passed)
        #expect(found.contains("sticky-load-balancer"), "\(found)")
        #expect(found.contains("cache-in-memory") && found.contains("files-on-local-disk"), "another member must see the stale data: \(found)")
        #expect(outcome.idleInstances.isEmpty, "users from many addresses reach both instances: \(outcome.idleInstances)")
    }

    /// The lesson with its nginx configuration changed to `ip_hash` (a copy in `.lab/`, the scenario's file untouched).
    static func behindIPHash(_ lesson: Lesson) throws -> Lesson {
        var scenario = lesson.scenario
        let nginx = try #require(scenario.manifest.services?.firstIndex { $0.kind == NginxService.kind })
        let original = try String(contentsOf: scenario.file(try #require(scenario.manifest.services?[nginx].config)), encoding: .utf8)
        let edited = original.replacingOccurrences(of: "upstream potluck {", with: "upstream potluck {\n        ip_hash;")
        #expect(edited != original)
        let copy = lesson.paths.state.appendingPathComponent("tests/nginx-ip-hash.conf")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try edited.write(to: copy, atomically: true, encoding: .utf8)
        scenario.manifest.services?[nginx].config = "../.lab/tests/nginx-ip-hash.conf"
        return Lesson(scenario: scenario, paths: lesson.paths)
    }
}
