import LabKit
import LabTesting
import LoadTestKit
import Testing

/// Scenario 01's lesson, proven on the real PostgreSQL with 1,000,000 users and the standard load
/// (100 users): the naive server misses the targets, the fixed server with the index meets them, and
/// neither fix alone is enough. Integration: needs the lab's PostgreSQL (`./lab test` starts it).
@Suite("Scenario 01 lesson (integration: PostgreSQL, real load)", .serialized)
struct LessonTests {
    /// Each setup runs once, as `./lab check` runs it: its load is both the lesson's measurement and what the
    /// check observes (running them apart measured the same four setups twice, minutes of CI's hour).
    /// The naive setup and the half fixes run 10 s of the standard load; the reference, the full 20 s.
    @Test("naive misses and the check finds both problems; each half fix misses, the other one found; pool + index passes, p99 ≥ 20× better")
    func lesson() async throws {
        let lesson = try Lesson(scenarioNumber: "01", file: #filePath)
        try await lesson.prepare()

        try await lesson.setDatabaseFix(applied: false)
        let naive = try await lesson.check("server", label: "naive: connection per request, no index", seconds: 10)
        let poolOnly = try await lesson.check("server-fixed", label: "half fix: pool, no index", seconds: 10)
        try await lesson.setDatabaseFix(applied: true)
        let indexOnly = try await lesson.check("server", label: "half fix: index, connection per request", seconds: 10)
        let fixed = try await lesson.check("server-fixed", label: "fixed: pool + index", reference: true)
        try await lesson.setDatabaseFix(applied: false)  // leave the database as a learner starts it

        // The naive server fails the way the issue describes: too many failures or far too slow.
        #expect(naive.result.totals.successRate < 99 || naive.result.totals.latency.p99 > 1000)
        #expect(lesson.misses(naive.result))
        #expect(naive.findings.map(\.problem.id) == ["connection-per-request", "email-seq-scan"])
        // Each half fix still misses the targets, and the check names the half that remains.
        #expect(lesson.misses(poolOnly.result), "pool alone should not be enough")
        #expect(poolOnly.findings.map(\.problem.id) == ["email-seq-scan"])
        #expect(lesson.misses(indexOnly.result), "index alone should not be enough")
        #expect(indexOnly.findings.map(\.problem.id) == ["connection-per-request"])
        // The full fix meets every target (scaled to this machine: MachineSpeed), by a wide margin on latency.
        #expect(fixed.passed, "the reference should pass: \(fixed.findings.map(\.message))")
        #expect(lesson.passes(fixed.result))
        #expect(fixed.result.totals.successRate >= 99.9)
        #expect(fixed.result.totals.latency.p99 * 20 <= naive.result.totals.latency.p99)
        #expect(fixed.result.totals.requestsPerSecond >= 10 * naive.result.totals.requestsPerSecond)

        print(
            """
            LESSON SUMMARY (req/s, p50 ms, p99 ms, success %):
              naive       \(Self.row(naive.result))
              pool only   \(Self.row(poolOnly.result))
              index only  \(Self.row(indexOnly.result))
              fixed       \(Self.row(fixed.result))
            """
        )
    }

    static func row(_ result: LoadResult) -> String {
        let t = result.totals
        return "\(Int(t.requestsPerSecond.rounded()))  \(t.latency.p50)  \(t.latency.p99)  \(t.successRate)"
    }
}
