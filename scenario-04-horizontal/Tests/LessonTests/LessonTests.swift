import Foundation
import LabKit
import LabTesting
import LoadTestKit
import Testing

/// Scenario 04's lesson, proven with real instances behind a real nginx on the real PostgreSQL, under the
/// standard load (100 users running journeys for 20 s): each of the six pieces of per-instance state of
/// `server` shows its own symptom, and `server-fixed` has none of them, with 2 instances and with 3.
/// Integration: needs the lab's PostgreSQL (`./lab test` starts it) and nginx (`.ci/run` installs it).
@Suite("Scenario 04 lesson (integration: PostgreSQL, nginx, real load)", .serialized)
struct LessonTests {
    /// The journey steps where symptoms 1 to 4 show, with what each is.
    static let symptomSteps = [
        ("sessions in memory", "sign in › my account"),
        ("profile cache in memory", "change my name › see my new name"),
        ("avatars on local disk", "new avatar › see my avatar"),
        ("login limit in memory", "password guessing › guess 4: must be stopped"),
    ]

    /// The 2-instance setups run once each, as `./lab check` runs them: the load is both the lesson's measurement
    /// and what the check observes (running them apart measured them twice, a minute of CI's hour). The naive one
    /// runs the full 20 s too: each symptom's step needs enough journeys to be measured.
    @Test("2 instances: naive shows and the check finds six symptoms, the fixed one none; big pools named; 3: only the fixed one fits")
    func sixSymptoms() async throws {
        let lesson = try Lesson(scenarioNumber: "04", file: #filePath)
        try await lesson.prepare()

        try await Self.startingPoint(lesson)
        let naive = try await lesson.check("server", label: "naive: 2 instances") { try await Self.peakConnections(lesson) }
        let naiveDigest = try await Self.digest(lesson)
        try await Self.startingPoint(lesson)
        let fixed = try await lesson.check("server-fixed", label: "fixed: 2 instances", reference: true) { try await Self.peakConnections(lesson) }
        let fixedDigest = try await Self.digest(lesson)
        try await Self.startingPoint(lesson)
        let bigPools = try await lesson.check(
            "server-fixed",
            label: "fixed code, pools of 40",
            environment: ["DATABASE_POOL_SIZE": "40"],
            seconds: 10
        )
        try await Self.startingPoint(lesson)
        let naiveThree = try await lesson.measure("server", label: "naive: 3 instances", instances: 3) { try await Self.peakConnections(lesson) }
        try await Self.startingPoint(lesson)
        let fixedThree = try await lesson.measure("server-fixed", label: "fixed: 3 instances", instances: 3) {
            try await Self.peakConnections(lesson)
        }
        let fixedThreeDigest = try await Self.digest(lesson)
        try await Self.startingPoint(lesson)

        // The check: the naive server gets all six findings, the reference with a pool of 40 per instance only the
        // connection budget, the reference passes.
        #expect(!naive.outcome.passed)
        #expect(
            naive.outcome.findings.map(\.problem.id) == [
                "sessions-in-memory", "cache-in-memory", "files-on-local-disk", "limit-in-memory", "job-in-every-instance", "pools-over-budget",
            ]
        )
        #expect(!bigPools.passed)
        #expect(bigPools.findings.map(\.problem.id) == ["pools-over-budget"])
        #expect(fixed.outcome.passed, "the reference should pass: \(fixed.outcome.findings.map(\.message))")

        // The naive server: every request is answered fast, yet journeys fail, each symptom at its own step.
        #expect(lesson.misses(naive.result))
        #expect(naive.result.totals.timeouts == 0 && naive.result.totals.connectionErrors == 0)
        let rates = try Self.symptomStepRates(naive.result)
        #expect(rates[0] >= 25, "sessions: about half the requests after login meet the other instance (\(rates[0])%)")
        #expect(rates[1] >= 5, "profile cache: stale names after a rename (\(rates[1])%)")
        #expect(rates[2] >= 25, "avatars: about half the reads meet the instance without the file (\(rates[2])%)")
        #expect(rates[3] >= 50, "login limit: most 4th guesses get through (\(rates[3])%)")
        #expect(try Self.step("change my name › see my new name", naive.result).counts.wrongAnswers > 0, "stale names are 200s with the wrong data")
        #expect(naiveDigest.duplicates > 0 && naiveDigest.duplicateShare >= 25, "digest sent by both instances: \(naiveDigest)")
        #expect(Set(naiveDigest.senders) == ["a", "b"])
        #expect(naive.observed >= 70, "two pools of 40: \(naive.observed) connections")

        // The fixed server: every journey succeeds; nothing is answered wrongly, not even once.
        #expect(lesson.passes(fixed.result))
        try Self.expectNoWrongAnswers(fixed.result, "fixed, 2 instances")
        #expect(try Self.symptomStepRates(fixed.result).allSatisfy { $0 == 0 })
        #expect(fixedDigest.emails > 0 && fixedDigest.duplicates == 0, "one digest per member and day: \(fixedDigest)")
        #expect(fixed.observed <= 25, "two pools of 10: \(fixed.observed) connections")

        // A third naive instance does not fit in the database's connections: its pool is refused, and its
        // share of the requests fails with a 503 saying so.
        #expect(naiveThree.observed >= 90, "three pools of 40 against 97 slots: \(naiveThree.observed) connections")
        #expect(naiveThree.serverLog.contains("53300"), "instance c's log should show PostgreSQL refusing connections")
        let refused = Double(naiveThree.result.totals.httpErrors["503", default: 0]) / Double(max(1, naiveThree.result.totals.sent))
        #expect(refused > 0.15, "about a third of the requests reach c and get a 503: \(Int(refused * 100))%")
        #expect(naiveThree.result.totals.successRate < 90, "\(naiveThree.result.totals.successRate)%")

        // Three fixed instances: 30 connections, every target met, still one digest per member and day.
        #expect(lesson.passes(fixedThree.result))
        try Self.expectNoWrongAnswers(fixedThree.result, "fixed, 3 instances")
        #expect(fixedThree.observed <= 35, "three pools of 10: \(fixedThree.observed) connections")
        #expect(fixedThreeDigest.emails > 0 && fixedThreeDigest.duplicates == 0)
        #expect(fixedThree.result.totals.requestsPerSecond >= 0.5 * fixed.result.totals.requestsPerSecond)

        print(
            "LESSON SUMMARY (failure rate at each symptom's step, of the journeys that reached it; digest: duplicate emails; connections: most seen by PostgreSQL)"
        )
        let fixedRates = try Self.symptomStepRates(fixed.result)
        for (index, (symptom, step)) in Self.symptomSteps.enumerated() {
            print(
                "  \(symptom) [\(step)]: naive \(Self.percent(rates[index])) of \(try Self.step(step, naive.result).counts.sent), "
                    + "fixed \(Self.percent(fixedRates[index])) of \(try Self.step(step, fixed.result).counts.sent)"
            )
        }
        print("  daily digest: naive \(naiveDigest), fixed \(fixedDigest), fixed with 3 instances \(fixedThreeDigest)")
        let runs = [
            ("naive, 2", naive.result, naive.observed), ("fixed, 2", fixed.result, fixed.observed),
            ("naive, 3", naiveThree.result, naiveThree.observed), ("fixed, 3", fixedThree.result, fixedThree.observed),
        ]
        for (name, result, connections) in runs {
            let journeys = (result.journeys ?? []).map { "\($0.name) \(Self.percent($0.counts.successRate))" }.joined(separator: ", ")
            print(
                "  \(name) instances: \(Int(result.totals.requestsPerSecond)) req/s, \(Self.percent(result.totals.successRate)) answered as expected, "
                    + "p99 \(Int(result.totals.latency.p99)) ms, connections \(connections); journeys: \(journeys)"
            )
        }
    }

    // MARK: - Helpers shared by this scenario's tests

    /// Where a learner starts: no sessions, login counters, avatars (in the database or on the instances'
    /// disks), job claims or digests; and no connection left from the previous server (3 instances of the
    /// naive server need every slot).
    static func startingPoint(_ lesson: Lesson) async throws {
        try await lesson.database.execute(
            "TRUNCATE sessions, login_limits, avatars, job_runs, digest_emails RESTART IDENTITY",
            on: lesson.scenario
        )
        try ServerProcess(scenario: lesson.scenario, paths: lesson.paths).wipeInstanceFolders()
        for _ in 0..<100 {
            let open = try await lesson.database.strings(
                "SELECT count(*)::text FROM pg_stat_activity WHERE usename = 'lab' AND datname = 'scenario_04'",
                on: lesson.scenario,
                asAdmin: true
            )
            if open == ["0"] { return }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// The most connections of the application's role PostgreSQL saw at once, sampled 10 times over 2 s.
    static func peakConnections(_ lesson: Lesson) async throws -> Int {
        var peak = 0
        for _ in 0..<10 {
            let count = try await lesson.database.strings(
                "SELECT count(*)::text FROM pg_stat_activity WHERE usename = 'lab' AND datname = 'scenario_04'",
                on: lesson.scenario,
                asAdmin: true
            )
            peak = max(peak, Int(count.first ?? "") ?? 0)
            try await Task.sleep(for: .milliseconds(200))
        }
        return peak
    }

    /// What the daily digest sent since the starting point.
    struct Digest: Sendable, CustomStringConvertible {
        var emails = 0
        /// Emails beyond the first for the same member and day.
        var duplicates = 0
        /// The instances that sent some.
        var senders: [String] = []
        var duplicateShare: Double { self.emails == 0 ? 0 : Double(self.duplicates) / Double(self.emails) * 100 }
        var description: String {
            "\(self.emails) emails, \(self.duplicates) duplicates (\(LessonTests.percent(self.duplicateShare))), sent by \(self.senders.joined(separator: "+"))"
        }
    }

    static func digest(_ lesson: Lesson) async throws -> Digest {
        let row = try await lesson.database.strings(
            """
            SELECT count(*) || ' ' || (count(*) - count(DISTINCT (day, member_id))) || ' ' || coalesce(string_agg(DISTINCT sent_by, '+'), '')
            FROM digest_emails
            """,
            on: lesson.scenario
        )
        let parts = (row.first ?? "").split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, let emails = Int(parts[0]), let duplicates = Int(parts[1]) else { throw LabError("unexpected digest row \(row)") }
        return Digest(emails: emails, duplicates: duplicates, senders: parts[2].split(separator: "+").map(String.init))
    }

    static func step(_ name: String, _ result: LoadResult) throws -> LoadResult.Endpoint {
        try #require(result.endpoints.first { $0.name == name }, "no step \(name)")
    }

    /// Failure rate (%) at each symptom's step, of the journeys that reached it.
    static func symptomStepRates(_ result: LoadResult) throws -> [Double] {
        try self.symptomSteps.map { _, name in
            let counts = try self.step(name, result).counts
            try #require(counts.sent > 50, "too few journeys reached \(name) to measure it (\(counts.sent))")
            return Double(counts.failed) / Double(counts.sent) * 100
        }
    }

    /// No step answered with a status it should not have, or with stale or missing data (slowness aside).
    static func expectNoWrongAnswers(_ result: LoadResult, _ label: String) throws {
        for endpoint in result.endpoints {
            #expect(endpoint.counts.httpErrors.isEmpty, "\(label): \(endpoint.name) answered \(endpoint.counts.httpErrors)")
            #expect(endpoint.counts.wrongAnswers == 0, "\(label): \(endpoint.name) gave \(endpoint.counts.wrongAnswers) wrong answers")
        }
    }

    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value) }
}
