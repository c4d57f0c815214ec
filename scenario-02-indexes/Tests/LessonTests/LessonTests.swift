import LabKit
import LabTesting
import LoadTestKit
import Testing

/// Scenario 02's lesson, proven on the real PostgreSQL with 2,000,000 orders and the standard load (100
/// users, 20 s, five endpoints): with only primary keys every endpoint misses its target; with `fix.sql`
/// every endpoint meets it. Integration: needs the lab's PostgreSQL (`./lab test` starts it).
@Suite("Scenario 02 lesson (integration: PostgreSQL, real load)", .serialized)
struct LessonTests {
    /// Indexes the experiments below create; dropped before and after each test so every test starts from
    /// the learner's starting point (primary keys only).
    static let experimentIndexes = """
        DROP INDEX IF EXISTS orders_created_at_customer_id_idx, orders_customer_id_idx, orders_status_idx, products_name_idx,
            orders_created_at_idx, orders_total_cents_idx
        """
    /// Orders created by POST /orders/import during a test (the seed's ids stop at 2,000,000).
    static let removeImportedOrders = """
        DELETE FROM orders WHERE id > 2000000;
        VACUUM (ANALYZE) orders;
        """

    static func startingPoint(_ lesson: Lesson) async throws {
        try await lesson.database.execute(Self.experimentIndexes, on: lesson.scenario)
        try await lesson.setDatabaseFix(applied: false)
    }

    static func cleanUp(_ lesson: Lesson) async throws {
        try await Self.startingPoint(lesson)
        try await lesson.database.execute(Self.removeImportedOrders, on: lesson.scenario)
    }

    @Test("naive: every endpoint misses its target; fix.sql: every endpoint meets it, lookups ≥ 10× faster at p99")
    func lesson() async throws {
        let lesson = try Lesson(scenarioNumber: "02", file: #filePath)
        try await lesson.prepare()
        try await Self.startingPoint(lesson)
        let naive = try await lesson.measure("server", label: "naive: primary keys only")
        try await lesson.setDatabaseFix(applied: true)
        let fixed = try await lesson.measure("server-fixed", label: "fixed: fix.sql applied")
        try await Self.cleanUp(lesson)

        for endpoint in naive.endpoints {
            let targets = try #require(endpoint.targets, "\(endpoint.name) has no targets in lab.json")
            #expect(targets.grade(endpoint.counts) != .green, "naive \(endpoint.name) should miss its target")
        }
        #expect(lesson.misses(naive))
        for endpoint in fixed.endpoints {
            #expect(endpoint.targets?.allMet(endpoint.counts) == true, "fixed \(endpoint.name) should meet its target")
        }
        #expect(lesson.passes(fixed))
        for name in ["order by number", "customer's latest orders"] {
            let before = try #require(naive.endpoints.first { $0.name == name }).counts.latency.p99
            let after = try #require(fixed.endpoints.first { $0.name == name }).counts.latency.p99
            // 10×, not more: the naive p99 cannot go much above 2.8 s (a request gives up after 2 s waiting for
            // a connection), while the fixed one grows with the machine's slowness (42 to 58 ms here; CI's
            // slower machine doubles it). At 20× this was a claim that the fixed p99 stays under 140 ms.
            #expect(after * 10 <= before, "\(name): p99 \(before) ms → \(after) ms is less than 10× better")
        }
        print("LESSON SUMMARY (endpoint: naive req/s p99 ms → fixed req/s p99 ms):")
        for (before, after) in zip(naive.endpoints, fixed.endpoints) {
            print("  \(before.name): \(Self.row(before.counts)) → \(Self.row(after.counts))")
        }
        print("  overall: \(Self.row(naive.totals)) → \(Self.row(fixed.totals))")
    }

    static func row(_ counts: LoadResult.Counts) -> String {
        "\(Int(counts.requestsPerSecond.rounded())) req/s, p99 \(counts.latency.p99) ms, \(counts.successRate)%"
    }
}
