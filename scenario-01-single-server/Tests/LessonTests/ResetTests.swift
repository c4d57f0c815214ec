import LabKit
import LabTesting
import Testing

extension LessonTests {
    /// What `./lab reset 01` does to the database (drop the tables, seed again) brings back the exact starting
    /// point: the same rows, none of the learner's indexes, and the login query back to reading users one by one (the row-by-row Filter the lesson needs).
    @Test("reset restores the starting database exactly: same rows, no learner indexes, the row-by-row Filter is back")
    func resetRestoresTheStart() async throws {
        let lesson = try Lesson(scenarioNumber: "01", file: #filePath)
        try await lesson.prepare()
        let fingerprint = "SELECT count(*)::text || ':' || md5(string_agg(email || city || signed_up_at::text, ',' ORDER BY id)) FROM users"
        let start = try await lesson.database.strings(fingerprint, on: lesson.scenario)
        // A learner's session: the fix, an extra index, a changed row.
        try await lesson.setDatabaseFix(applied: true)
        try await lesson.database.execute(
            """
            CREATE INDEX IF NOT EXISTS users_city_idx ON users (city);
            UPDATE users SET city = 'Paris' WHERE id = 1;
            """,
            on: lesson.scenario
        )
        #expect(try await lesson.database.strings(fingerprint, on: lesson.scenario) != start)

        try await lesson.database.resetScenarioDatabase(for: lesson.scenario)
        try await lesson.prepare()

        #expect(try await lesson.database.strings(fingerprint, on: lesson.scenario) == start)
        let indexes = try await lesson.database.strings("SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY 1", on: lesson.scenario)
        #expect(indexes == ["users_pkey"])
        let plan = try await lesson.database.strings("EXPLAIN SELECT * FROM users WHERE email = 'linus.rossum1@example.com'", on: lesson.scenario)
        #expect(plan.joined(separator: "\n").contains("Filter: (email ="))
    }
}
