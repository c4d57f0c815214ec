import LabKit
import LabTesting
import Testing

extension LessonTests {
    @Test("seeding is deterministic and idempotent, with the skew the lesson needs")
    func seeding() async throws {
        let lesson = try Lesson(scenarioNumber: "02", file: #filePath)
        try await lesson.prepare()
        let seeder = Seeder(scenario: lesson.scenario, url: try LabDatabase.url(for: lesson.scenario))
        #expect(try await seeder.seed().batchesInserted == 0)
        func number(_ sql: String) async throws -> Double {
            try Double(#require(try await lesson.database.strings(sql, on: lesson.scenario).first)) ?? -1
        }
        #expect(try await number("SELECT count(*)::text FROM orders WHERE id <= 2000000") == 2_000_000)
        #expect(try await number("SELECT count(*)::text FROM products") == 300_000)
        #expect(try await number("SELECT count(*)::text FROM customers") == 50_000)
        // Deterministic: the same rows on every machine (a sample of every 1000th order, as text).
        let fingerprint = try await lesson.database.strings(
            """
            SELECT md5(string_agg(order_number || customer_id || status || extract(epoch FROM created_at)::bigint || total_cents, ','
                                  ORDER BY id))
            FROM orders WHERE id % 1000 = 0 AND id <= 2000000
            """,
            on: lesson.scenario
        )
        #expect(fingerprint == ["1ce4a68e5b49f711dd8a0c435c0f7280"])
        // The skew the lesson relies on: a few huge customers, and 'delivered' dominating status.
        let topShare = try await number(
            """
            SELECT (sum(n) FILTER (WHERE rank <= 500) / sum(n))::text FROM (
              SELECT count(*) AS n, rank() OVER (ORDER BY count(*) DESC) AS rank
              FROM orders WHERE id <= 2000000 GROUP BY customer_id) AS per_customer
            """
        )
        #expect(topShare > 0.4, "the top 1% of customers should own a large share of the orders (got \(topShare))")
        #expect(try await number("SELECT max(n)::text FROM (SELECT count(*) AS n FROM orders GROUP BY customer_id) AS c") > 20_000)
        let delivered = try await number("SELECT avg((status = 'delivered')::int)::text FROM orders WHERE id <= 2000000")
        #expect(delivered > 0.85 && delivered < 0.95)
        let pending = try await number("SELECT avg((status = 'pending')::int)::text FROM orders WHERE id <= 2000000")
        #expect(pending > 0.02 && pending < 0.04)
    }
}
