import Foundation
import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// `./lab check 07` tells the naive routing from the reference by what it observes on both databases: the
    /// primary reading millions of rows for the report, users missing their own reviews, every page failing while
    /// the replica is stopped. The reference (server-fixed with replica.fixed.conf) passes, fault phase included.
    @Test("check: the naive routing shows its problems, the reference passes")
    func learnerCheck() async throws {
        let lesson = try Lesson(scenarioNumber: "07", file: #filePath)
        try await lesson.prepare()

        try await Self.waitUntilCaughtUp(lesson)
        let naive = try await lesson.check("server", label: "naive routing")
        try await Self.waitUntilCaughtUp(lesson)
        let fixed = try await Self.reference(lesson).check("server-fixed", label: "the reference (server-fixed + replica.fixed.conf)")

        #expect(!naive.passed)
        let found = Set(naive.findings.map(\.problem.id))
        #expect(found.isSuperset(of: ["report-on-primary", "stale-own-reads", "replica-down"]), "\(found)")
        #expect(naive.replicationLag?.render() != nil, "the check shows the replication lag")
        #expect(fixed.passed, "the reference should pass: \(fixed.findings.map(\.message)) \(fixed.faultPhases)")
        #expect(fixed.faultPhases.count == 1, "the replica was stopped under load: \(fixed.faultPhases)")
    }
}
