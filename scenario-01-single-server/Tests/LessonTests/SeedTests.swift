import LabKit
import LabTesting
import PostgresNIO
import Testing

extension LessonTests {
    @Test("seeding is deterministic, idempotent, and an interrupted seed is completed by the next run")
    func seeding() async throws {
        let lesson = try Lesson(scenarioNumber: "01", file: #filePath)
        try await lesson.prepare()
        let url = try LabDatabase.url(for: lesson.scenario)
        let seeder = Seeder(scenario: lesson.scenario, url: url)
        let fingerprint = "SELECT count(*)::text || ':' || md5(string_agg(email || city || signed_up_at::text, ',' ORDER BY id)) FROM users"
        let before = try await lesson.database.strings(fingerprint, on: lesson.scenario)

        // Run twice on a complete database: nothing to do.
        #expect(try await seeder.seed().batchesInserted == 0)

        // A seed interrupted by Ctrl-C leaves whole batches missing (each batch commits with its marker).
        try await lesson.database.execute(
            """
            DELETE FROM users WHERE id BETWEEN 300001 AND 600000;
            DELETE FROM lab_seed_batches WHERE table_name = 'users' AND first_id BETWEEN 300001 AND 600000;
            """,
            on: lesson.scenario
        )
        let resumed = try await seeder.seed()
        #expect(resumed.batchesInserted == 3)
        // Same rows as before, to the byte.
        #expect(try await lesson.database.strings(fingerprint, on: lesson.scenario) == before)
        #expect(before.first?.hasPrefix("1000000:") == true)
    }
}
