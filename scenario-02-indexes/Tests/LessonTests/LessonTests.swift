import LabKit
import LabTesting
import LoadTestKit
import Testing

/// Scenario 02's lesson, proven on the real PostgreSQL with 2,000,000 orders and the standard load (100
/// users, five endpoints): with only primary keys every endpoint misses its target; with `fix.sql`
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

    /// `./lab check` on this scenario: the naive server gets one finding per slow query (two for the customer's
    /// orders: sorted, and found by reading far too much), a half fix (every index but the search one) gets
    /// only the search hint, the composite index in the wrong column order is named, the reference passes,
    /// and the reference plus three "just in case" indexes is named for the indexes no request uses.
    ///
    /// Each setup runs once, as `./lab check` runs it: its load is both the lesson's measurement and what the
    /// check observes (running them apart measured the naive and the fixed setups twice, minutes of CI's hour).
    @Test("every endpoint misses, one finding per slow plan; fix.sql meets each, lookups ≥ 10× faster; half fixes and wrong indexes named")
    func lesson() async throws {
        let lesson = try Lesson(scenarioNumber: "02", file: #filePath)
        try await lesson.prepare()
        try await Self.startingPoint(lesson)
        // Checks that must find a problem run 10 s of the standard load (CI's hour); the reference's, the full 20 s.
        let naive = try await lesson.check("server", label: "naive: primary keys only", seconds: 10)
        try await lesson.setDatabaseFix(applied: true)
        try await lesson.database.execute("DROP INDEX IF EXISTS products_name_trgm_idx", on: lesson.scenario)
        let half = try await lesson.check("server-fixed", label: "half fix: every index but the search one", seconds: 10)
        try await lesson.setDatabaseFix(applied: true)
        // The composite index with its columns the wrong way round: no Sort in the plan, yet the walk is slow.
        try await lesson.database.execute(
            """
            DROP INDEX IF EXISTS orders_customer_id_created_at_idx;
            CREATE INDEX orders_created_at_customer_id_idx ON orders (created_at DESC, customer_id);
            ANALYZE orders;
            """,
            on: lesson.scenario
        )
        let wrongOrder = try await lesson.check(
            "server-fixed",
            label: "fix.sql with (created_at DESC, customer_id) for the customer's orders",
            seconds: 10
        )
        try await Self.startingPoint(lesson)
        try await lesson.setDatabaseFix(applied: true)
        let fixed = try await lesson.check("server-fixed", label: "fixed: fix.sql", reference: true)
        // Step 5g's "just in case" indexes: each one slows every import, and no request reads it.
        try await lesson.database.execute(
            """
            CREATE INDEX orders_created_at_idx ON orders (created_at);
            CREATE INDEX orders_total_cents_idx ON orders (total_cents);
            CREATE INDEX orders_status_idx ON orders (status);
            ANALYZE orders;
            """,
            on: lesson.scenario
        )
        let overIndexed = try await lesson.check("server-fixed", label: "fix.sql and three indexes just in case", seconds: 10)
        try await Self.cleanUp(lesson)

        // The lesson: with primary keys only every endpoint misses its target; with fix.sql every one meets it.
        for endpoint in naive.result.endpoints {
            let targets = try #require(endpoint.targets, "\(endpoint.name) has no targets in lab.json")
            #expect(targets.grade(endpoint.counts) != .green, "naive \(endpoint.name) should miss its target")
        }
        #expect(lesson.misses(naive.result))
        for endpoint in fixed.result.endpoints {
            #expect(endpoint.targets?.allMet(endpoint.counts) == true, "fixed \(endpoint.name) should meet its target")
        }
        #expect(lesson.passes(fixed.result))
        for name in ["order by number", "customer's latest orders"] {
            let before = try #require(naive.result.endpoints.first { $0.name == name }).counts.latency.p99
            let after = try #require(fixed.result.endpoints.first { $0.name == name }).counts.latency.p99
            // 10×, not more: the naive p99 cannot go much above 2.8 s (a request gives up after 2 s waiting for
            // a connection), while the fixed one grows with the machine's slowness (42 to 58 ms here; CI's
            // slower machine doubles it). At 20× this was a claim that the fixed p99 stays under 140 ms.
            #expect(after * 10 <= before, "\(name): p99 \(before) ms → \(after) ms is less than 10× better")
        }
        print("LESSON SUMMARY (endpoint: naive req/s p99 ms → fixed req/s p99 ms):")
        for (before, after) in zip(naive.result.endpoints, fixed.result.endpoints) {
            print("  \(before.name): \(Self.row(before.counts)) → \(Self.row(after.counts))")
        }
        print("  overall: \(Self.row(naive.result.totals)) → \(Self.row(fixed.result.totals))")

        // The check: one finding per slow plan, then only what each setup still gets wrong.
        #expect(!naive.passed)
        #expect(
            naive.findings.map(\.problem.id) == [
                "order-number-seq-scan", "customer-orders-sort", "customer-orders-walk", "pending-sort", "search-row-by-row",
            ]
        )
        #expect(!half.passed)
        #expect(half.findings.map(\.problem.id) == ["search-row-by-row"])
        #expect(!wrongOrder.passed)
        #expect(wrongOrder.findings.map(\.problem.id) == ["customer-orders-walk"])
        #expect(fixed.passed, "the reference should pass: \(fixed.findings.map(\.message))")
        #expect(!overIndexed.passed)
        #expect(overIndexed.findings.map(\.problem.id) == ["unused-indexes"], "\(overIndexed.findings.map(\.message))")
        // Two or three: no query filters on total_cents, but the planner may now and then pick the created_at or
        // the status index for a pending-orders plan, which makes that one used, and rightly not counted.
        #expect((overIndexed.findings.first?.observed).flatMap { Int($0) }.map { (2...3).contains($0) } == true)
    }

    static func row(_ counts: LoadResult.Counts) -> String {
        "\(Int(counts.requestsPerSecond.rounded())) req/s, p99 \(counts.latency.p99) ms, \(counts.successRate)%"
    }
}
