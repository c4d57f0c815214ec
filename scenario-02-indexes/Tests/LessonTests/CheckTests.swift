import LabKit
import Testing

extension LessonTests {
    /// `./lab check` on this scenario: the naive server gets one finding per slow query, a half fix (every
    /// index but the search one) gets only the search hint, the reference passes.
    @Test("check: naive finds the four slow plans, a half fix finds the one left, the reference passes")
    func learnerCheck() async throws {
        let lesson = try Lesson(scenarioNumber: "02", file: #filePath)
        try await lesson.prepare()
        try await Self.startingPoint(lesson)
        let naive = try await lesson.check("server", label: "naive: primary keys only")
        try await lesson.setDatabaseFix(applied: true)
        try await lesson.database.execute("DROP INDEX IF EXISTS products_name_trgm_idx", on: lesson.scenario)
        let half = try await lesson.check("server-fixed", label: "half fix: every index but the search one")
        try await lesson.setDatabaseFix(applied: true)
        let fixed = try await lesson.check("server-fixed", label: "fixed: fix.sql")
        try await Self.cleanUp(lesson)

        #expect(!naive.passed)
        #expect(naive.findings.map(\.problem.id) == ["order-number-seq-scan", "customer-orders-sort", "pending-sort", "search-row-by-row"])
        #expect(!half.passed)
        #expect(half.findings.map(\.problem.id) == ["search-row-by-row"])
        #expect(fixed.passed, "the reference should pass: \(fixed.findings.map(\.message))")
    }
}
