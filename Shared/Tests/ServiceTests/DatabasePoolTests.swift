import Foundation
import LabCore
import LabKit
import LabServer
import Logging
import PostgresNIO
import Testing

/// The scenario servers' pool against the lab's real PostgreSQL: the two mistakes a learner makes with it
/// must answer with what is wrong, at once, not with a 2 s wait and a misleading word.
@Suite("DatabasePool's answers to a learner's mistakes (needs PostgreSQL)", .serialized)
struct DatabasePoolTests {
    let repository: LabPaths
    let database: LabDatabase
    let temporary: TemporaryScenario

    init() async throws {
        self.repository = try LabPaths.discover(from: URL(fileURLWithPath: #filePath).deletingLastPathComponent())
        self.temporary = try TemporaryScenario(services: #"[{"kind": "postgres"}]"#)
        self.database = LabDatabase(paths: self.repository)
        try await self.database.startServer()
        try await self.database.ensureDatabase(for: self.temporary.scenario)
    }

    @Test("a pool never given to the application's services answers at once, saying so")
    func notRunning() async throws {
        defer { try? FileManager.default.removeItem(at: self.temporary.scenario.folder) }
        let pool = DatabasePool(
            url: try LabDatabase.url(for: self.temporary.scenario),
            size: 2,
            acquireTimeout: .seconds(2),
            logger: Logger(label: "test")
        )
        let started = ContinuousClock.now
        await #expect {
            try await pool.withConnection { connection in try await connection.query("SELECT 1", logger: connection.logger).collect().count }
        } throws: { error in
            (error as? DatabaseUnavailableError)?.message.contains("not running") == true
        }
        #expect(ContinuousClock.now - started < .seconds(1), "answered at once, not after the 2 s acquire timeout")
    }

    /// A role limited to 3 connections stands in for a full `max_connections` (PostgreSQL refuses both with
    /// SQLSTATE 53300), so the test does not lock everyone else out of the lab's PostgreSQL.
    @Test("a pool bigger than PostgreSQL lets it have: the 503 says PostgreSQL refuses new connections, not that it is unreachable")
    func fullDatabase() async throws {
        defer { try? FileManager.default.removeItem(at: self.temporary.scenario.folder) }
        let name = self.temporary.scenario.manifest.database
        let admin = try self.database.adminURL(database: name)
        func execute(_ sql: String) async throws {
            try await self.database.withConnection(to: admin) { connection in
                _ = try await connection.query(PostgresQuery(unsafeSQL: sql), logger: connection.logger).collect()
            }
        }
        try await execute("DROP ROLE IF EXISTS lab_pool_test")
        try await execute("CREATE ROLE lab_pool_test LOGIN PASSWORD 'lab' CONNECTION LIMIT 3")
        var url = try LabDatabase.url(for: self.temporary.scenario)
        url.username = "lab_pool_test"
        url.password = "lab"
        let pool = DatabasePool(url: url, size: 6, acquireTimeout: .milliseconds(500), openAllAtStart: true, logger: Logger(label: "test"))
        let running = Task { await pool.run() }
        try await Task.sleep(for: .seconds(1))
        var messages: [String] = []
        for _ in 0..<6 {
            do {
                _ = try await pool.withConnection { connection in try await connection.query("SELECT 1", logger: connection.logger).collect().count }
            } catch let error as DatabaseUnavailableError {
                messages.append(error.message)
            }
            try await Task.sleep(for: .milliseconds(700))
        }
        running.cancel()
        await running.value
        try await execute("DROP ROLE IF EXISTS lab_pool_test")
        print("POOL BIGGER THAN ALLOWED answered: \(messages)")
        let last = try #require(messages.last, "the pool served every request with the connections it opened")
        #expect(last.contains("refused new connections"), "\(last)")
        #expect(!last.contains("unreachable"), "\(last)")
    }

    /// Found in scenario 03's naive server (a pool of 4, 100 ms timeout, 100 users): a timeout that happened
    /// while every connection was between two borrowers was taken for an outage, and the pool threw its
    /// connections away and answered "unreachable" for a while. A busy pool only ever says "timed out".
    @Test("a busy pool is never taken for a database that is gone: its requests time out, nothing else")
    func busyIsNotAnOutage() async throws {
        defer { try? FileManager.default.removeItem(at: self.temporary.scenario.folder) }
        let pool = DatabasePool(
            url: try LabDatabase.url(for: self.temporary.scenario),
            size: 2,
            acquireTimeout: .milliseconds(20),
            openAllAtStart: true,
            logger: Logger(label: "test")
        )
        let running = Task { await pool.run() }
        try await Task.sleep(for: .milliseconds(500))
        let until = ContinuousClock.now + .seconds(4)
        let messages = await withTaskGroup(of: [String].self) { group in
            for _ in 0..<40 {
                group.addTask {
                    var seen: [String] = []
                    while ContinuousClock.now < until {
                        do {
                            _ = try await pool.withConnection { connection in
                                try await connection.query("SELECT pg_sleep(0.002)", logger: connection.logger).collect().count
                            }
                        } catch {
                            seen.append((error as? DatabaseUnavailableError)?.message ?? String(describing: error))
                        }
                    }
                    return seen
                }
            }
            return await group.reduce(into: []) { $0 += $1 }
        }
        running.cancel()
        await running.value
        let timeouts = messages.filter { $0.contains("timed out after") }
        #expect(!timeouts.isEmpty, "the test must keep the pool busy enough to time out")
        let others = messages.filter { !$0.contains("timed out after") }
        #expect(others.isEmpty, "\(others.count) other answers, the first: \(others.first ?? "")")
    }
}
