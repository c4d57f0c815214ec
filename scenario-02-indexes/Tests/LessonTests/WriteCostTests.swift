import LabKit
import LabTesting
import LoadTestKit
import Testing

extension LessonTests {
    /// "Index everything" measured: the import endpoint alone, with 0, 3 (fix.sql's on orders) and 6
    /// indexes on orders. Each index is one more structure every inserted row must be added to, and more
    /// write-ahead log to write (measured from the log's position before and after).
    @Test("write cost: WAL per row grows with 3 and again with 6 indexes; import throughput drops with 6")
    func writeCost() async throws {
        let lesson = try Lesson(scenarioNumber: "02", file: #filePath)
        try await lesson.prepare()
        try await Self.startingPoint(lesson)
        let import20 = ["import 20 orders"]
        // Each setting is measured twice after a checkpoint, keeping the faster run: one run can be slowed by
        // the database writing out the previous run's pages, and that would be noise, not the lesson.
        //
        // Bytes of WAL per row also count the full copies of pages written after a checkpoint: a fixed cost
        // per page touched, spread over however many rows the run managed, so a slower run (a busy or slower
        // machine) shows more bytes per row. WAL records per row count the work alone: the assertions use them.
        func measure(_ label: String) async throws -> (result: LoadResult, walBytesPerRow: Double, walRecordsPerRow: Double) {
            var best: (result: LoadResult, walBytesPerRow: Double, walRecordsPerRow: Double)?
            for run in 1...2 {
                try await lesson.database.checkpoint()
                let walBefore = try #require(try await lesson.database.walPosition(on: lesson.scenario))
                let recordsBefore = try #require(try await lesson.database.walRecords())
                let result = try await lesson.measure("server", label: "\(label), run \(run)", seconds: 8, only: import20)
                let wal = try #require(try await lesson.database.walBytes(since: walBefore, on: lesson.scenario))
                let records = try #require(try await lesson.database.walRecords()) - recordsBefore
                if best == nil || result.totals.requestsPerSecond > best!.result.totals.requestsPerSecond {
                    let rows = Double(max(1, result.totals.succeeded * 20))
                    best = (result, wal / rows, records / rows)
                }
            }
            return best!
        }
        let none = try await measure("write cost: primary key only")
        try await lesson.setDatabaseFix(applied: true)
        let three = try await measure("write cost: fix.sql (3 indexes on orders)")
        try await lesson.database.execute(
            """
            CREATE INDEX IF NOT EXISTS orders_created_at_idx ON orders (created_at);
            CREATE INDEX IF NOT EXISTS orders_total_cents_idx ON orders (total_cents);
            CREATE INDEX IF NOT EXISTS orders_status_idx ON orders (status);
            """,
            on: lesson.scenario
        )
        let six = try await measure("write cost: 6 indexes on orders")
        try await Self.cleanUp(lesson)

        let rates = [none, three, six].map(\.result.totals.requestsPerSecond)
        let wal = [none, three, six].map(\.walBytesPerRow)
        let records = [none, three, six].map(\.walRecordsPerRow)
        print(
            "WRITE COST (imports of 20 rows per second, WAL bytes per row, WAL records per row): "
                + "0 indexes \(Int(rates[0])) / \(Int(wal[0])) / \(records[0]), 3 indexes \(Int(rates[1])) / \(Int(wal[1])) / \(records[1]), "
                + "6 indexes \(Int(rates[2])) / \(Int(wal[2])) / \(records[2])"
        )
        for measured in [none, three, six] { #expect(measured.result.totals.successRate >= 99.9) }
        // Measured here: 0.62-0.65 with 6 indexes, 0.64-0.93 with 3 (throughput is noisy on a busy 2-core
        // machine, so only the 6-index drop is asserted); WAL per row about ×2 to ×2.6 with 3, ×3.9 to ×4.8 with 6 (the
        // robust measure the guide asks the learner to compare).
        #expect(rates[2] < rates[0] * 0.8, "6 indexes should cost clearly more throughput")
        // Each index adds a WAL record per row it holds: measured 2.08 per row with the primary key alone (the
        // row and its key), 4.13 with fix.sql's three (one is partial: only pending orders get an entry), 7.17
        // with three more (a transaction's own records spread over its 20 rows on top).
        #expect(records[1] > records[0] + 1.5, "fix.sql's indexes add about 2 WAL records per row: \(records)")
        #expect(records[2] > records[1] + 2.5, "3 more add about 3 more: \(records)")
        // The bytes grow too, though by how much depends on the run's speed (see above): measured ×2 to ×2.6
        // with 3, ×3.9 to ×4.8 with 6 here, and once, on a busy machine, less with 6 than with 3.
        #expect(wal[0] < wal[1] && wal[0] < wal[2], "indexes add write-ahead log per row")
    }
}
