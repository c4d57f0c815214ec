import LabKit
import LabTesting
import Testing

extension LessonTests {
    @Test("seeding is deterministic and idempotent: 300,000 parcels, five scans each, 40 depots, and one role per instance")
    func seeding() async throws {
        let lesson = try Lesson(scenarioNumber: "06", file: #filePath)
        try await lesson.prepare()
        let seeder = Seeder(scenario: lesson.scenario, url: try LabDatabase.url(for: lesson.scenario))
        #expect(try await seeder.seed().batchesInserted == 0)
        func text(_ sql: String) async throws -> String? {
            try await lesson.database.strings(sql, on: lesson.scenario).first
        }
        #expect(try await text("SELECT count(*)::text FROM parcels") == "300000")
        #expect(try await text("SELECT count(*)::text FROM scans WHERE id <= 1500000") == "1500000")
        #expect(try await text("SELECT count(*)::text FROM depots") == "40")
        #expect(try await text("SELECT code || ' ' || recipient FROM parcels WHERE id = 42") == "PP00000042 Alan Knuth")
        // Each instance logs in as its own role (so one can lose its database alone), with the application's rights.
        let roles = try await lesson.database.strings(
            "SELECT string_agg(rolname, ',' ORDER BY rolname) FROM pg_roles WHERE rolname LIKE 'lab_instance_%' AND rolcanlogin",
            on: lesson.scenario,
            asAdmin: true
        )
        #expect(roles.first == "lab_instance_a,lab_instance_b,lab_instance_c")
    }
}
