import Foundation
import LabCore
import LoadTestKit
import Logging
import PostgresNIO

/// Fills a scenario's database with its deterministic data, fast, idempotently, and safe to interrupt.
///
/// Each table of the seed plan (in order, so a table may refer to the ones before it) is filled in batches of
/// ids (`$1` to `$2`) by its batch SQL file, which computes every
/// value from the id alone: the same plan always produces the same rows. Each batch commits together with a
/// row in `lab_seed_batches`, so a batch is either fully there or not at all: a re-run after Ctrl-C inserts
/// only the missing batches, and a run on a complete database does nothing. Two connections insert in
/// parallel, one per core.
public struct Seeder: Sendable {
    public let scenario: Scenario
    public let url: DatabaseURL
    let logger: Logger

    public init(scenario: Scenario, url: DatabaseURL) {
        self.scenario = scenario
        self.url = url
        var logger = Logger(label: "lab.seed")
        logger.logLevel = .error
        self.logger = logger
    }

    public struct Report: Sendable {
        /// Rows in the main (last) table.
        public var rows: Int
        /// Batches inserted now, over all tables (0: everything was already there).
        public var batchesInserted: Int
        public var seconds: Double
        /// The main table's name.
        public var table: String = ""

        func with(table: String) -> Report {
            var report = self
            report.table = table
            return report
        }
    }

    /// The id ranges for `rows` rows in batches of `batchSize`.
    public static func batches(rows: Int, batchSize: Int) -> [ClosedRange<Int>] {
        guard rows > 0 else { return [] }
        return stride(from: 1, through: rows, by: max(1, batchSize)).map { $0...min($0 + batchSize - 1, rows) }
    }

    /// Seeds every table of the scenario's `lab.json`, in order. `rows` overrides the row count of the main
    /// (last) table, e.g. a smaller database for a quick try.
    public func seed(rows: Int? = nil, progress: @Sendable (String) -> Void = { _ in }) async throws -> Report {
        let seed = self.scenario.manifest.seed
        var tables = seed.tables
        guard let main = tables.last else { throw LabError("lab.json: seed.tables is empty") }
        if let rows {
            guard rows >= 0 else { throw LabError("rows must be 0 or more (got \(rows))") }
            tables[tables.count - 1].rows = rows
        }
        let start = ContinuousClock.now
        let schema = try String(contentsOf: self.scenario.file(seed.schema), encoding: .utf8)
        let database = LabDatabase(paths: LabPaths(root: self.scenario.folder.deletingLastPathComponent()))
        try await database.withConnection(to: self.url) { connection in
            for statement in SQLScript.statements(schema) {
                try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
            }
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS lab_seed_batches (
                    table_name text NOT NULL, first_id bigint NOT NULL, last_id bigint NOT NULL,
                    PRIMARY KEY (table_name, first_id))
                """,
                logger: self.logger
            )
        }
        var inserted = 0
        for table in tables {
            inserted += try await self.seed(table, database: database, progress: progress)
        }
        return Report(rows: tables[tables.count - 1].rows, batchesInserted: inserted, seconds: (ContinuousClock.now - start).seconds)
            .with(table: main.table)
    }

    /// Inserts the missing batches of one table; returns how many.
    private func seed(_ table: Scenario.Seed.Table, database: LabDatabase, progress: @Sendable (String) -> Void) async throws -> Int {
        let batchSQL = try String(contentsOf: self.scenario.file(table.batch), encoding: .utf8)
        let plan = Self.batches(rows: table.rows, batchSize: table.batchSize)
        let missing: [ClosedRange<Int>] = try await database.withConnection(to: self.url) { connection in
            var done: [Int: Int] = [:]
            for try await (first, last) in try await connection.query(
                "SELECT first_id, last_id FROM lab_seed_batches WHERE table_name = \(table.table)",
                logger: self.logger
            ).decode((Int, Int).self) {
                done[first] = last
            }
            let planned = Dictionary(uniqueKeysWithValues: plan.map { ($0.lowerBound, $0.upperBound) })
            if done.contains(where: { planned[$0.key] != $0.value }) {
                // Seeded earlier with another row count or batch size: start over rather than mix the two.
                progress("\(table.table) was seeded with a different row count; starting over")
                try await connection.query(PostgresQuery(unsafeSQL: "TRUNCATE \(table.table) CASCADE"), logger: self.logger)
                try await connection.query("DELETE FROM lab_seed_batches WHERE table_name = \(table.table)", logger: self.logger)
                done = [:]
            }
            return plan.filter { done[$0.lowerBound] == nil }
        }
        if missing.isEmpty { return 0 }
        progress("seeding \(table.rows) rows into \(table.table) (\(missing.count) of \(plan.count) batches to insert)...")
        let workers = 2
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<workers {
                let mine = missing.enumerated().filter { $0.offset % workers == worker }.map(\.element)
                group.addTask {
                    try await database.withConnection(to: self.url) { connection in
                        try await connection.query("SET synchronous_commit = off", logger: self.logger)
                        for range in mine {
                            try await self.insert(range, sql: batchSQL, table: table.table, on: connection)
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        try await database.withConnection(to: self.url) { connection in
            // Fresh statistics for the planner, and hint bits set now rather than during the first load test.
            try await connection.query(PostgresQuery(unsafeSQL: "VACUUM (ANALYZE) \(table.table)"), logger: self.logger)
        }
        return missing.count
    }

    /// Inserts one batch and records it, in one transaction: all of it or none of it.
    private func insert(_ range: ClosedRange<Int>, sql: String, table: String, on connection: PostgresConnection) async throws {
        var binds = PostgresBindings()
        binds.append(Int64(range.lowerBound))
        binds.append(Int64(range.upperBound))
        try await connection.query("BEGIN", logger: self.logger)
        do {
            try await connection.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: self.logger)
            try await connection.query(
                "INSERT INTO lab_seed_batches (table_name, first_id, last_id) VALUES (\(table), \(range.lowerBound), \(range.upperBound))",
                logger: self.logger
            )
            try await connection.query("COMMIT", logger: self.logger)
        } catch {
            _ = try? await connection.query("ROLLBACK", logger: self.logger)
            throw error
        }
    }
}
