import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// The check's product-search observation must judge the index, not the planner's mood. With the trigram
    /// index, the planner picks between it and walking the primary key for a common term depending on the
    /// random sample each ANALYZE takes (both fast); for a rare term (fewer matches than the 20 asked for)
    /// walking anything but the trigram index reads the whole table. So the check counts pages for a rare
    /// term: far under its limit after every ANALYZE with the index, far over it without.
    @Test("search observation: the rare term reads few pages with the trigram index after every ANALYZE, the whole table without")
    func searchObservationIsStable() async throws {
        let lesson = try Lesson(scenarioNumber: "02", file: #filePath)
        try await lesson.prepare()
        try await Self.startingPoint(lesson)
        let query = "SELECT id, name, price_cents FROM products WHERE name ILIKE '%rustic copper kettle%' ORDER BY id LIMIT 20"
        let limit = 1000.0  // checks.json's "above" for search-row-by-row
        var without: [Double] = []
        for _ in 0..<3 {
            try await lesson.database.execute("ANALYZE products", on: lesson.scenario)
            without.append(try #require(try await lesson.database.pagesTouched(by: query, on: lesson.scenario)))
        }
        try await lesson.setDatabaseFix(applied: true)
        var with: [Double] = []
        for _ in 0..<6 {
            try await lesson.database.execute("ANALYZE products", on: lesson.scenario)
            with.append(try #require(try await lesson.database.pagesTouched(by: query, on: lesson.scenario)))
        }
        try await Self.cleanUp(lesson)
        print("SEARCH PAGES for the rare term: without the trigram index \(without), with it \(with)")
        #expect(without.allSatisfy { $0 > 2 * limit }, "\(without)")
        #expect(with.allSatisfy { $0 < limit / 2 }, "\(with)")
    }
}
