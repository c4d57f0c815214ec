import LabKit
import LabTesting
import LoadTestKit
import Testing

extension LessonTests {
    static let sweepSizes = [2, 5, 10, 20, 50, 100, 200]

    /// The pool-size curve of SCENARIO.md, measured: both servers at pool sizes 2 to 200, 5 s of the standard
    /// mix each. With the connection held for the 300 ms charge (`server`), throughput grows with the pool
    /// (pool size ÷ hold time); with short holds (`server-fixed`) it is flat past a small pool, because the
    /// two CPU cores are the limit. Past PostgreSQL's max_connections neither gets any faster.
    @Test("pool-size sweep: held connections scale with the pool, short holds flatten early, both hit the ceiling")
    func poolSizeSweep() async throws {
        let lesson = try Lesson(scenarioNumber: "03", file: #filePath)
        try await lesson.prepare()
        var curves: [String: [Int: (succeededPerSecond: Double, p99: Double)]] = [:]
        for product in ["server", "server-fixed"] {
            for size in Self.sweepSizes {
                try await Self.startingPoint(lesson)
                let result = try await lesson.measure(
                    product,
                    label: "sweep: \(product), pool of \(size)",
                    seconds: 5,
                    environment: ["DATABASE_POOL_SIZE": String(size), "DATABASE_POOL_TIMEOUT_MS": "2000"]
                )
                let succeeded = result.totals.requestsPerSecond * result.totals.successRate / 100
                let eventPage = result.endpoints.first { $0.name == "event page" }?.counts.latency.p99 ?? 0
                curves[product, default: [:]][size] = (succeeded, eventPage)
            }
        }
        try await Self.startingPoint(lesson)

        let held = try #require(curves["server"])
        let short = try #require(curves["server-fixed"])
        func rate(_ curve: [Int: (succeededPerSecond: Double, p99: Double)], _ size: Int) -> Double { curve[size]?.succeededPerSecond ?? 0 }
        print("SWEEP (pool size: successful req/s, event page p99 ms) held = server, short = server-fixed:")
        for size in Self.sweepSizes {
            print(
                "  \(size): held \(Int(rate(held, size))) req/s, p99 \(held[size]?.p99 ?? 0) ms | short \(Int(rate(short, size))) req/s, p99 \(short[size]?.p99 ?? 0) ms"
            )
        }
        // Held for ~300 ms: throughput ≈ pool size ÷ hold time, so 10× the pool gives several times the throughput.
        #expect(rate(held, 50) >= 4 * rate(held, 5), "held: pool 5 → 50 should multiply throughput")
        // Held ~1 ms: 20 or 50 connections are no faster than 10.
        #expect(rate(short, 20) <= 1.25 * rate(short, 10))
        #expect(rate(short, 50) <= 1.25 * rate(short, 10))
        #expect(rate(short, 10) >= 3 * rate(held, 10), "the same 10 connections do far more when nobody keeps one waiting")
        // Past the ceiling (100 connection slots, 3 reserved): the pool gets at most 95 connections. With short holds
        // it stops serving (postgres-nio queues every request once it failed to open one). With held connections
        // it sometimes keeps lending the 95 it has (seen: 459 and 581 req/s against 802 at 50 in one run, 763
        // against 765 in another, close to 0 in a third): no faster than a pool inside the budget, with the same
        // 25% allowance for noise as the short-hold curve above.
        //
        // The short-hold collapse depends on timing: on a machine 3 times slower (CPU cut to 0.8 of a core) the
        // pool kept lending what it had (943 and 866 req/s against 983 at 10). What holds on any machine: past
        // the ceiling a bigger pool buys nothing.
        for size in [100, 200] {
            #expect(rate(held, size) <= 1.25 * rate(held, 50), "held, pool \(size): no faster than 50 past the ceiling")
            #expect(rate(short, size) <= 1.25 * rate(short, 10), "short, pool \(size): no faster than 10 past the ceiling")
        }
    }
}
