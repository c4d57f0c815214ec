import LabKit
import LabTesting
import Testing

extension LessonTests {
    @Test("seeding is deterministic and idempotent: 100,000 members with the password 'pancakes', 200,000 recipes")
    func seeding() async throws {
        let lesson = try Lesson(scenarioNumber: "04", file: #filePath)
        try await lesson.prepare()
        let seeder = Seeder(scenario: lesson.scenario, url: try LabDatabase.url(for: lesson.scenario))
        #expect(try await seeder.seed().batchesInserted == 0)
        func text(_ sql: String) async throws -> String? {
            try await lesson.database.strings(sql, on: lesson.scenario).first
        }
        #expect(try await text("SELECT count(*)::text FROM members") == "100000")
        #expect(try await text("SELECT count(*)::text FROM recipes") == "200000")
        #expect(try await text("SELECT count(*)::text FROM members WHERE wants_digest") == "1000")
        // The password check the servers run, for a seeded member.
        #expect(
            try await text(
                "SELECT id::text FROM members WHERE email = 'cook17@example.com' AND password_hash = encode(sha256(convert_to(password_salt || 'pancakes', 'UTF8')), 'hex')"
            ) == "17"
        )
        let fingerprint = try await text(
            """
            SELECT md5(string_agg(r.title || r.minutes || m.email || extract(epoch FROM m.joined_at)::bigint, ',' ORDER BY r.id))
            FROM recipes r JOIN members m ON m.id = r.author_id WHERE r.id % 997 = 0
            """
        )
        #expect(fingerprint == "6d92fdbb2b19b9696086df823d6606b5")
        // Every query of the servers uses an index: this lesson is about state, not slow queries.
        for query in [
            "SELECT count(*) FROM recipes r WHERE r.author_id = 42",
            "SELECT member_id FROM sessions WHERE id = 'x' AND expires_at > now()",
            "SELECT id FROM members WHERE email = 'cook1@example.com'",
        ] {
            let plan = try await lesson.database.strings("EXPLAIN " + query, on: lesson.scenario).joined(separator: "\n")
            #expect(plan.contains("Index"), "\(query):\n\(plan)")
        }
    }
}
