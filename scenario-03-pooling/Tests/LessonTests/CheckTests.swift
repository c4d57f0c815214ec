import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// `./lab check` on this scenario: the naive server gets the pool, the idle-in-transaction and the
    /// 100 ms acquire timeout findings;
    /// fix 1 alone (a pool of 40) gets the idle-in-transaction finding and, 40 being past the budget of 30,
    /// the budget finding; a pool of 200 gets the budget finding; the reference passes.
    @Test("check: naive finds timeouts, held connections, a short timeout; fix 1 alone held ones and the budget; the reference passes")
    func learnerCheck() async throws {
        let lesson = try Lesson(scenarioNumber: "03", file: #filePath)
        try await lesson.prepare()
        try await Self.startingPoint(lesson)
        // Checks that must find a problem run 10 s of the standard load (CI's hour); the reference's, the full 20 s.
        let naive = try await lesson.check("server", label: "naive", seconds: 10)
        try await Self.startingPoint(lesson)
        let fixOne = try await lesson.check("server", label: "half fix: pool of 40, 2 s", environment: Self.fixOneOnly, seconds: 10)
        try await Self.startingPoint(lesson)
        let fixed = try await lesson.check("server-fixed", label: "fixed", reference: true)
        try await Self.startingPoint(lesson)
        let tooBig = try await lesson.check("server-fixed", label: "fixed code, pool of 200", environment: Self.poolOf200, seconds: 10)
        try await Self.startingPoint(lesson)

        #expect(!naive.passed)
        #expect(naive.findings.map(\.problem.id) == ["pool-gives-up", "held-during-charge", "short-acquire-timeout"])
        #expect(!fixOne.passed)
        #expect(fixOne.findings.map(\.problem.id) == ["held-during-charge", "pool-over-budget"])
        #expect(fixed.passed, "the reference should pass: \(fixed.findings.map(\.message))")
        #expect(!tooBig.passed)
        #expect(tooBig.findings.map(\.problem.id).contains("pool-over-budget"))
    }
}
