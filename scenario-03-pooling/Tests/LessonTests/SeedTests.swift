import LabKit
import LabTesting
import Testing

extension LessonTests {
    @Test("seeding is deterministic and idempotent: 2,000 events, 500 free seats each")
    func seeding() async throws {
        let lesson = try Lesson(scenarioNumber: "03", file: #filePath)
        try await lesson.prepare()
        let seeder = Seeder(scenario: lesson.scenario, url: try LabDatabase.url(for: lesson.scenario))
        #expect(try await seeder.seed().batchesInserted == 0)
        func text(_ sql: String) async throws -> String? {
            try await lesson.database.strings(sql, on: lesson.scenario).first
        }
        #expect(try await text("SELECT count(*)::text FROM events") == "2000")
        #expect(try await text("SELECT count(*)::text FROM seats") == "1000000")
        #expect(try await text("SELECT count(DISTINCT n)::text FROM (SELECT count(*) AS n FROM seats GROUP BY event_id) AS per_event") == "1")
        let fingerprint = try await text(
            """
            SELECT md5(string_agg(e.name || e.venue || extract(epoch FROM e.starts_at)::bigint || e.price_cents || s.label, ',' ORDER BY s.id))
            FROM seats s JOIN events e ON e.id = s.event_id WHERE s.id % 997 = 0
            """
        )
        #expect(fingerprint == "0bb8e236dc08795196a18f515afced3f")
        // Every query of the servers uses an index (the lesson is the pool, not the queries).
        let plan = try await lesson.database.strings(
            "EXPLAIN SELECT id, label FROM seats WHERE event_id = 42 AND order_id IS NULL ORDER BY id LIMIT 20",
            on: lesson.scenario
        )
        #expect(plan.joined(separator: "\n").contains("seats_free_by_event_idx"))
    }
}
