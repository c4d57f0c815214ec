import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// `./lab check` on this scenario: the naive server gets both hints, each half fix gets the hint for the
    /// half that remains, the reference passes. Real load, real database (as the learner's check would be).
    @Test("check: naive finds both problems, each half fix finds the other one, the reference passes")
    func learnerCheck() async throws {
        let lesson = try Lesson(scenarioNumber: "01", file: #filePath)
        try await lesson.prepare()
        try await lesson.setDatabaseFix(applied: false)
        // Checks that must find a problem run 10 s of the standard load (CI's hour); the reference's, the full 20 s.
        let naive = try await lesson.check("server", label: "naive", seconds: 10)
        let poolOnly = try await lesson.check("server-fixed", label: "half fix: pool, no index", seconds: 10)
        try await lesson.setDatabaseFix(applied: true)
        let indexOnly = try await lesson.check("server", label: "half fix: index, no pool", seconds: 10)
        let fixed = try await lesson.check("server-fixed", label: "fixed: pool and index", reference: true)
        try await lesson.setDatabaseFix(applied: false)

        #expect(!naive.passed)
        #expect(naive.findings.map(\.problem.id) == ["connection-per-request", "email-seq-scan"])
        #expect(!poolOnly.passed)
        #expect(poolOnly.findings.map(\.problem.id) == ["email-seq-scan"])
        #expect(!indexOnly.passed)
        #expect(indexOnly.findings.map(\.problem.id) == ["connection-per-request"])
        #expect(fixed.passed, "the reference should pass: \(fixed.findings.map(\.message))")
    }
}
