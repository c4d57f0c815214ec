import LabKit
import Testing

extension LessonTests {
    /// `./lab check` on this scenario: the naive server gets all six findings, the reference with a pool of 40
    /// per instance only the connection budget, the reference passes.
    @Test("check: naive finds the six problems, the reference with big pools only the budget, the reference passes")
    func learnerCheck() async throws {
        let lesson = try Lesson(scenarioNumber: "04", file: #filePath)
        try await lesson.prepare()
        try await Self.startingPoint(lesson)
        let naive = try await lesson.check("server", label: "naive")
        try await Self.startingPoint(lesson)
        let bigPools = try await lesson.check("server-fixed", label: "fixed code, pools of 40", environment: ["DATABASE_POOL_SIZE": "40"])
        try await Self.startingPoint(lesson)
        let fixed = try await lesson.check("server-fixed", label: "fixed")
        try await Self.startingPoint(lesson)

        #expect(!naive.passed)
        #expect(
            naive.findings.map(\.problem.id) == [
                "sessions-in-memory", "cache-in-memory", "files-on-local-disk", "limit-in-memory", "job-in-every-instance", "pools-over-budget",
            ]
        )
        #expect(!bigPools.passed)
        #expect(bigPools.findings.map(\.problem.id) == ["pools-over-budget"])
        #expect(fixed.passed, "the reference should pass: \(fixed.findings.map(\.message))")
    }
}
