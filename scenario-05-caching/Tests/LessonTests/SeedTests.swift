import LabKit
import LabTesting
import Testing

extension LessonTests {
    @Test("seeding is deterministic and idempotent, popularity is skewed, and trending is real work")
    func seeding() async throws {
        let lesson = try Lesson(scenarioNumber: "05", file: #filePath)
        try await lesson.prepare()
        let seeder = Seeder(scenario: lesson.scenario, url: try LabDatabase.url(for: lesson.scenario))
        #expect(try await seeder.seed().batchesInserted == 0)
        func text(_ sql: String) async throws -> String? {
            try await lesson.database.strings(sql, on: lesson.scenario).first
        }
        #expect(try await text("SELECT count(*)::text FROM products WHERE id <= 20000") == "20000")
        #expect(try await text("SELECT count(*)::text FROM order_items") == "4000000")
        #expect(try await text("SELECT count(*)::text FROM reviews WHERE id <= 1000000") == "1000000")
        // A few products sell most: the first 100 of 20,000 sell about a sixth of all items.
        let top100 = try await text("SELECT round(100.0 * count(*) FILTER (WHERE product_id <= 100) / count(*))::text FROM order_items")
        #expect(top100 == "17")
        #expect(try await text("SELECT count(*)::text FROM order_items WHERE product_id = 1") == "147360")
    }
}
