import LabKit
import LabTesting
import Testing

extension LessonTests {
    @Test("seeding is deterministic and idempotent, and the replica has every seeded row")
    func seeding() async throws {
        let lesson = try Lesson(scenarioNumber: "07", file: #filePath)
        try await lesson.prepare()
        let seeder = Seeder(scenario: lesson.scenario, url: try LabDatabase.url(for: lesson.scenario))
        #expect(try await seeder.seed().batchesInserted == 0)
        func text(_ sql: String) async throws -> String? {
            try await lesson.database.strings(sql, on: lesson.scenario).first
        }
        #expect(try await text("SELECT count(*)::text FROM restaurants WHERE id <= 10000") == "10000")
        #expect(try await text("SELECT count(*)::text FROM reviewers") == "100000")
        #expect(try await text("SELECT count(*)::text FROM reviews WHERE id <= 2000000") == "2000000")
        #expect(try await text("SELECT count(DISTINCT city)::text FROM restaurants") == "20")
        // The running totals match the reviews they count (seeded ones, and every one posted since).
        #expect(
            try await text(
                "SELECT count(*)::text FROM restaurants r WHERE review_count <> (SELECT count(*) FROM reviews WHERE restaurant_id = r.id)"
            ) == "0"
        )
        // Popular restaurants have thousands of reviews, most a few dozen to a few hundred.
        let most = try #require(Int(try await text("SELECT max(review_count)::text FROM restaurants") ?? ""))
        let median = try #require(
            Int(try await text("SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY review_count)::text FROM restaurants") ?? "")
        )
        #expect(most > 10 * median, "most \(most), median \(median)")

        // The replica, made from the primary and streaming from it, has the same rows.
        let services = try ScenarioServices(scenario: lesson.scenario, paths: lesson.paths)
        _ = try await ScenarioServices.start(services.beforeServer, build: false)
        try await Self.waitUntilCaughtUp(lesson)
        let onReplica = try await lesson.database.strings("SELECT count(*)::text FROM reviews WHERE id <= 2000000", at: try Self.replicaURL(lesson))
        #expect(onReplica == ["2000000"])
    }
}
