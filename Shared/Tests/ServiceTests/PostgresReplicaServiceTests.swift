import Foundation
import LabCore
import LabKit
import PostgresNIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `postgres-replica` service kind against the lab's real PostgreSQL: a streaming replica made with
/// `pg_basebackup -R`, on a free port, removed at the end. One walk through its whole life, because every
/// replica copies the whole cluster (about a gigabyte with every scenario seeded).
@Suite("The postgres-replica service kind (needs PostgreSQL)", .serialized)
struct PostgresReplicaServiceTests {
    @Test("made from the primary, read-only, replays its writes (later by recovery_min_apply_delay), survives kill -9, refuses a taken port")
    func lifecycle() async throws {
        let repository = try LabPaths.discover(from: URL(fileURLWithPath: #filePath).deletingLastPathComponent())
        let port = TemporaryScenario.freePort()
        let temporary = try TemporaryScenario(
            services: #"[{"kind": "postgres"}]"#,
            files: ["replica.conf": "# the learner's file\nmax_standby_streaming_delay = 100ms   # short\n"]
        )
        defer { try? FileManager.default.removeItem(at: temporary.scenario.folder) }
        let database = LabDatabase(paths: repository)
        try await database.startServer()
        try await database.ensureDatabase(for: temporary.scenario)
        var declaration = ServiceDeclaration(kind: PostgresReplicaService.kind, port: port, config: "replica.conf")
        declaration.options = ["recovery_min_apply_delay": "2s"]
        let replica = try PostgresReplicaService(declaration: declaration, scenario: temporary.scenario, paths: repository)
        defer {
            Task {
                _ = await replica.stop()
                try? FileManager.default.removeItem(at: replica.folder)
            }
        }

        // Made and started: a hot standby of the primary, on its own port.
        let line = try await replica.start(build: false)
        #expect(line.contains("made a streaming replica"), "\(line)")
        #expect(replica.status().contains("running on 127.0.0.1:\(port)"))
        let replicaURL = try replica.url(database: temporary.scenario.manifest.database)
        let primaryURL = try LabDatabase.url(for: temporary.scenario)
        func strings(_ sql: String, on url: DatabaseURL) async throws -> [String] {
            try await database.withConnection(to: url) { connection in
                try await connection.query(PostgresQuery(unsafeSQL: sql), logger: connection.logger).collect().map { try $0.decode(String.self) }
            }
        }
        func execute(_ sql: String, on url: DatabaseURL) async throws {
            try await database.withConnection(to: url) { connection in
                _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: connection.logger).collect()
            }
        }
        #expect(try await strings("SELECT pg_is_in_recovery()::text", on: replicaURL) == ["true"])
        await #expect(throws: (any Error).self, "a replica refuses writes") {
            try await execute("CREATE TABLE refused (id int)", on: replicaURL)
        }

        // A write on the primary reaches it, not before the 2 s delay the option asked for.
        try await execute("CREATE TABLE IF NOT EXISTS replicated (note text)", on: primaryURL)
        let note = UUID().uuidString
        let written = ContinuousClock.now
        _ = try await strings("INSERT INTO replicated VALUES ('\(note)') RETURNING note", on: primaryURL)
        var seenAfter: Duration?
        while seenAfter == nil, ContinuousClock.now - written < .seconds(60) {
            let rows = try? await strings("SELECT note FROM replicated WHERE note = '\(note)'", on: replicaURL)
            if rows == [note] { seenAfter = ContinuousClock.now - written } else { try await Task.sleep(for: .milliseconds(100)) }
        }
        let lag = try #require(seenAfter, "the write never reached the replica")
        #expect(lag >= .milliseconds(1800), "recovery_min_apply_delay of 2 s held it back: \(lag)")

        // The learner's file is applied at start, and again (a reload, no restart) when it changed.
        #expect(replica.learnerFiles == ["replica.conf"])
        #expect(try await strings("SHOW max_standby_streaming_delay", on: replicaURL) == ["100ms"])
        try "hot_standby_feedback = on\nmax_standby_streaming_delay = '5s'\n".write(
            to: temporary.scenario.file("replica.conf"),
            atomically: true,
            encoding: .utf8
        )
        let reloaded = try await replica.start(build: false)
        #expect(reloaded.contains("already running") && reloaded.contains("replica.conf reloaded"), "\(reloaded)")
        var applied: [String] = []
        for _ in 0..<50 {
            applied = try await strings(
                "SELECT current_setting('max_standby_streaming_delay') || ' ' || current_setting('hot_standby_feedback')",
                on: replicaURL
            )
            if applied == ["5s on"] { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(applied == ["5s on"])
        // A line that is not a setting: a clear error naming the file and the line, before anything starts.
        try "hot_standby_feedback = on\nthis is not a setting\n".write(to: temporary.scenario.file("replica.conf"), atomically: true, encoding: .utf8)
        await #expect(throws: LabError.self) { _ = try await replica.start(build: false) }
        try "max_standby_streaming_delay = 100ms\n".write(to: temporary.scenario.file("replica.conf"), atomically: true, encoding: .utf8)

        // A crash: seen as stopped, started again, caught up.
        guard case .running(let pid) = try replica.cluster().status() else { throw LabError("the replica does not run") }
        kill(Int32(pid), SIGKILL)
        for _ in 0..<100 where replica.status().contains("running") { try await Task.sleep(for: .milliseconds(100)) }
        #expect(replica.status().hasSuffix("stopped"), "\(replica.status())")
        #expect(try await replica.start(build: false).contains("started"))
        #expect(try await strings("SELECT count(*)::text FROM replicated WHERE note = '\(note)'", on: replicaURL) == ["1"])

        // Someone else's replica (Docker Compose) is only waited for; a port nobody answers on is an error.
        #expect(try await replica.waitForExternal(timeout: .seconds(10)).contains("answers on 127.0.0.1:\(port)"))
        var nobody = ServiceDeclaration(kind: PostgresReplicaService.kind, port: TemporaryScenario.freePort())
        nobody.name = "nobody"
        await #expect(throws: LabError.self) {
            _ = try await PostgresReplicaService(declaration: nobody, scenario: temporary.scenario, paths: repository)
                .waitForExternal(timeout: .milliseconds(500))
        }

        // Its port taken by another program: a clear error.
        _ = await replica.stop()
        let squatter = try TemporaryScenario(
            services: #"[{"kind": "redis", "port": \#(port), "config": "redis.conf", "options": {"exporter": "off"}}]"#,
            files: ["redis.conf": "save \"\"\n"]
        )
        _ = try await squatter.services.all[0].start(build: false)
        await #expect(throws: LabError.self, "PostgreSQL cannot bind a taken port") { _ = try await replica.start(build: false) }
        await squatter.remove()
        try await execute("DROP TABLE replicated", on: primaryURL)
    }

    @Test("the learner's settings file: name = value lines, comments and blank lines; anything else is an error naming the line")
    func settingsFile() throws {
        let parsed = try PostgresReplicaService.settings(
            in: "# comment\n\nhot_standby_feedback = on  # why\nmax_standby_streaming_delay='5s'\n",
            file: "scenario-07/replica.conf"
        )
        #expect(parsed.map { "\($0.name)=\($0.value)" } == ["hot_standby_feedback=on", "max_standby_streaming_delay=5s"])
        for bad in ["hot_standby_feedback", "= on", "max delay = 5s", "x = it's", "a = 'b'; DROP"] {
            #expect(throws: LabError.self, "\(bad)") { _ = try PostgresReplicaService.settings(in: "# ok\n\(bad)\n", file: "replica.conf") }
        }
    }
}
