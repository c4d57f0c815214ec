import Foundation
import LabCore
import LabKit
import LabTesting
import LoadTestKit
import Testing

/// Scenario 07's lesson, proven with the real server, a real primary and a real streaming replica (300 ms behind,
/// `recovery_min_apply_delay`) under the standard load (100 users, 20 s): the naive routing sends the heavy report
/// to the primary, where reviews wait behind it, and reads users' own pages from the replica, which has not
/// replayed their review yet; a bigger primary pool does not help; the fixed routing with the shipped replica.conf
/// gets its reports cancelled on the replica; waiting longer for them instead lets the replica fall behind; the
/// reference (server-fixed with replica.fixed.conf) meets every target with nothing stale and nothing cancelled.
@Suite("Scenario 07 lesson (integration: a primary, a streaming replica, real load)", .serialized)
struct LessonTests {
    @Test("the report starves writes on the primary, own reviews go missing on the replica, and the fixes each matter")
    func replicaLesson() async throws {
        let lesson = try Lesson(scenarioNumber: "07", file: #filePath)
        try await lesson.prepare()

        let naive = try await Self.run(lesson, "server", "naive: report on the primary, own reads on the replica")
        let biggerPool = try await Self.run(
            lesson,
            "server",
            "half-fix: a primary pool of 30",
            environment: ["DATABASE_POOL_SIZE": "30"]
        )
        let codeOnly = try await Self.run(lesson, "server-fixed", "fixed code, replica.conf unchanged")
        let longWait = try await Self.run(
            Self.withReplicaSettings(lesson, ["max_standby_streaming_delay": "30s"]),
            "server-fixed",
            "fixed code, the replica waits up to 30 s for queries"
        )
        let fixed = try await Self.run(try Self.reference(lesson), "server-fixed", "the reference (server-fixed + replica.fixed.conf)")

        let target = try #require(Self.reviewTarget(lesson))
        // Naive: the report reads millions of rows on the primary; reviews wait behind it; almost every user's own
        // page, read from a replica 300 ms behind, lacks the review they just posted.
        #expect(naive.primaryRowsRead > 20_000_000, "\(naive.primaryRowsRead) rows read on the primary")
        #expect(try Self.step("review › see my reviews", naive.result).counts.wrongAnswers > 100)
        #expect(lesson.misses(naive.result))
        // A bigger pool on the primary: the report still runs there and the writes still wait.
        #expect(biggerPool.primaryRowsRead > 20_000_000, "\(biggerPool.primaryRowsRead) rows read on the primary")
        #expect(biggerPool.reviewP99 > 1.3 * fixed.reviewP99, "pool 30: \(biggerPool.reviewP99) ms, reference \(fixed.reviewP99) ms")
        #expect(lesson.misses(biggerPool.result))
        // The fixed code on the shipped replica.conf: fresh own reads, but reports cancelled on the replica.
        #expect(codeOnly.cancelledOnReplica > 0, "queries cancelled for conflicts with recovery")
        #expect(try Self.step("review › see my reviews", codeOnly.result).counts.wrongAnswers == 0)
        // Waiting up to 30 s instead cancels nothing, and the replica falls seconds behind while it waits.
        #expect(longWait.cancelledOnReplica == 0)
        #expect(longWait.peakLagSeconds > fixed.peakLagSeconds + 0.2, "lag \(longWait.peakLagSeconds) s vs \(fixed.peakLagSeconds) s")
        // The reference: every target with a wide margin, the primary free of the report, nothing stale or cancelled.
        #expect(lesson.passes(fixed.result))
        #expect(fixed.result.totals.wrongAnswers == 0 && fixed.result.totals.errors == 0, "\(fixed.result.totals)")
        #expect(fixed.cancelledOnReplica == 0)
        #expect(fixed.primaryRowsRead * 5 < naive.primaryRowsRead, "\(fixed.primaryRowsRead) vs \(naive.primaryRowsRead)")
        #expect(fixed.reviewP99 * 2 < target, "review p99 \(fixed.reviewP99) ms, target \(target) ms")
        #expect(fixed.reviewP99 * 3 < naive.reviewP99, "review p99 \(fixed.reviewP99) ms vs naive \(naive.reviewP99) ms")

        print("LESSON SUMMARY (review: the post-then-read journey; rows: read on the primary during the run)")
        for run in [naive, biggerPool, codeOnly, longWait, fixed] {
            print(
                "  \(run.label): \(Int(run.result.totals.requestsPerSecond)) req/s, "
                    + "\(String(format: "%.2f", run.result.totals.successRate))% as expected, review p99 \(Int(run.reviewP99)) ms, "
                    + "stale own reads \(run.result.totals.wrongAnswers), primary rows \(run.primaryRowsRead / 1_000_000)M, "
                    + "cancelled on the replica \(run.cancelledOnReplica), peak lag \(String(format: "%.2f", run.peakLagSeconds)) s"
            )
        }
    }

    /// What one run measured, on both databases.
    struct Run {
        var label: String
        var result: LoadResult
        var primaryRowsRead: Int
        var cancelledOnReplica: Int
        var peakLagSeconds: Double
        var reviewP99: Double
    }

    static func run(_ lesson: Lesson, _ product: String, _ label: String, environment: [String: String] = [:]) async throws -> Run {
        let replicaURL = try Self.replicaURL(lesson)
        try await Self.waitUntilCaughtUp(lesson)
        let rowsBefore = try await Self.number(Self.rowsRead, on: try LabDatabase.url(for: lesson.scenario), lesson)
        let cancelledBefore = try await Self.number(Self.cancelled, on: replicaURL, lesson)
        let (measured, lag) = try await ReplicationLag.observe(lesson.scenario, database: lesson.database) {
            try await lesson.measure(product, label: label, environment: environment) { () }
        }
        let rows = try await Self.number(Self.rowsRead, on: try LabDatabase.url(for: lesson.scenario), lesson) - rowsBefore
        let cancelled = try await Self.number(Self.cancelled, on: replicaURL, lesson) - cancelledBefore
        let review = measured.result.journeys?.first { $0.name == "review" }
        return Run(
            label: label,
            result: measured.result,
            primaryRowsRead: rows,
            cancelledOnReplica: cancelled,
            peakLagSeconds: lag?.peakSeconds ?? 0,
            reviewP99: review?.counts.latency.p99 ?? .infinity
        )
    }

    static let rowsRead = "SELECT (tup_returned + tup_fetched)::text FROM pg_stat_database WHERE datname = current_database()"
    static let cancelled = """
        SELECT (confl_tablespace + confl_lock + confl_snapshot + confl_bufferpin + confl_deadlock)::text
        FROM pg_stat_database_conflicts WHERE datname = current_database()
        """

    static func number(_ sql: String, on url: DatabaseURL, _ lesson: Lesson) async throws -> Int {
        let text = try await lesson.database.strings(sql, at: url).first ?? ""
        return try #require(Int(text), "\(sql) answered '\(text)'")
    }

    static func replicaURL(_ lesson: Lesson) throws -> DatabaseURL {
        let replica = try #require(
            ScenarioServices(scenario: lesson.scenario, paths: lesson.paths).all.compactMap { $0 as? PostgresReplicaService }.first
        )
        return try replica.url(database: lesson.scenario.manifest.database)
    }

    /// Lets the replica replay what an earlier run left behind (a run that made it wait), so each run starts level.
    static func waitUntilCaughtUp(_ lesson: Lesson) async throws {
        let services = try ScenarioServices(scenario: lesson.scenario, paths: lesson.paths)
        _ = try await ScenarioServices.start(services.beforeServer, build: false)
        let admin = try lesson.database.adminURL()
        for _ in 0..<240 {
            let behind = try await lesson.database.strings(
                "SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), -1)::text FROM pg_stat_replication",
                at: admin
            ).first
            if let behind, let bytes = Double(behind), bytes >= 0, bytes < 1_000_000 { return }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// The lesson with the reference's replica settings (``Scenario/Manifest/fixedConfigs``: replica.fixed.conf).
    static func reference(_ lesson: Lesson) throws -> Lesson {
        var scenario = lesson.scenario
        let index = try #require(scenario.manifest.services?.firstIndex { $0.kind == PostgresReplicaService.kind })
        scenario.manifest.services?[index].config = try #require(scenario.manifest.fixedConfigs?["replica.conf"])
        return Lesson(scenario: scenario, paths: lesson.paths)
    }

    /// The lesson with the replica's settings given here instead of replica.conf's (a learner's other attempt).
    static func withReplicaSettings(_ lesson: Lesson, _ settings: [String: String]) throws -> Lesson {
        var scenario = lesson.scenario
        let index = try #require(scenario.manifest.services?.firstIndex { $0.kind == PostgresReplicaService.kind })
        var replica = try #require(scenario.manifest.services?[index])
        replica.config = nil
        replica.options = (replica.options ?? [:]).merging(settings) { $1 }
        scenario.manifest.services?[index] = replica
        return Lesson(scenario: scenario, paths: lesson.paths)
    }

    static func reviewTarget(_ lesson: Lesson) -> Double? {
        lesson.scenario.manifest.load.journeys.first { $0.name == "review" }?.targets?.maxP99Milliseconds
    }

    static func step(_ name: String, _ result: LoadResult) throws -> LoadResult.Endpoint {
        try #require(result.endpoints.first { $0.name == name }, "no step \(name)")
    }
}
