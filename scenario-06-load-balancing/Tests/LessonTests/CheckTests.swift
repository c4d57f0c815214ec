import Foundation
import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// `./lab check 06` on the naive setup observes each of the five problems (the standard load, then a pause
    /// of b, a database cut of a and a deploy, each under load), and the reference passes.
    @Test("check: the naive setup shows all five problems and misses the p99 target; the reference passes with none")
    func learnerCheck() async throws {
        let lesson = try Lesson(scenarioNumber: "06", file: #filePath)
        try await lesson.prepare()
        // The standard load for 10 s instead of 20 (CI's time): every problem shows within seconds.
        let naive = try await lesson.check("server", label: "naive: server + haproxy.cfg", seconds: 10)
        let fixed = try await Self.reference(lesson).check(
            "server-fixed",
            label: "the reference: server-fixed + haproxy.fixed.cfg",
            seconds: 10,
            reference: true
        )

        #expect(!naive.passed)
        let ids = try #require(try ProblemCatalog.load(for: lesson.scenario)).problems.map(\.id)
        #expect(Set(naive.findings.map(\.problem.id)) == Set(ids), "\(naive.findings.map(\.problem.id))")
        #expect(naive.faultPhases.count == 3, "\(naive.faultPhases)")
        #expect(fixed.passed, "the reference should pass: \(fixed.findings.map(\.message)) \(fixed.faultPhases)")
        #expect(fixed.idleInstances.isEmpty, "c gets less traffic on purpose (it is configured unlike the others)")
        // Round-robin into instance c, in one run: the reference's p99 well under the naive one's (measured 128
        // against 284 ms and 98 against 299 on this machine, 186 against more than 280 on CI's).
        //
        // Not asserted: that the naive p99 misses the target. Both p99s are queueing under a closed load of 100
        // users, so both scale with the machine's speed, and the naive one is only about 2.5 times the
        // reference's: on a quiet fast machine it measured 214 ms, under the 250 ms target that CI's slower
        // machine (the reference at 186 ms) needs. The check fails the naive setup on any machine anyway, from
        // c's own pool-wait and the faults (above).
        #expect(fixed.result.totals.latency.p99 * 1.5 < naive.result.totals.latency.p99)
        // Not asserted here: a wide margin under the absolute targets. It depends on how busy the machine is, not
        // on the code: a CI run that MachineSpeed read as 1.06 times slower than this machine ran the reference
        // at 680 req/s, p99 226 ms (a margin of 1.17 instead of 1.25), and one here read as 1.14 at 632 req/s,
        // p99 273 ms. The reference passes the check above (targets scaled to the machine), and the margin is
        // measured by Shared/bench/targets-under-background-load.sh, whose numbers go in the closing note.
    }
}
