import Foundation
import LabKit
import LabTesting
import LoadTestKit
import Testing

/// Scenario 05's lesson, proven with the real server, PostgreSQL and Redis under the standard load (100 users,
/// 20 s): without a cache the database drowns in the same aggregate; the obvious cache (cache-aside with a time to
/// live) is fast but serves stale prices, stampedes when trending expires and fails when Redis does; each fix of
/// `server-fixed` turned off on its own brings its problem back; with all of them every target is met.
/// The fixed setup is `server-fixed` with `redis.fixed.conf`'s eviction policy (the tests set it at runtime).
@Suite("Scenario 05 lesson (integration: PostgreSQL, Redis, real load)", .serialized)
struct LessonTests {
    /// The setups a learner checks (no cache, the obvious cache, the fixed code with the shipped redis.conf, the
    /// reference) run once each, as `./lab check` runs them: the load is both the lesson's measurement and what
    /// the check observes (running them apart measured three of them twice, a minute and more of CI's hour). The
    /// lesson's own experiments (one fix off at a time, Redis paused mid-load) run the standard load.
    @Test("no cache drowns the database; the obvious cache is stale and stampedes; each fix is needed; the fixed cache passes the check")
    func cacheLesson() async throws {
        let lesson = try Lesson(scenarioNumber: "05", file: #filePath)
        try await lesson.prepare()
        let reference = try Self.withFixedRedisConfig(lesson)

        // The check empties Redis first, as after a deploy; its fault phase (Redis paused) comes after every
        // observation of the standard load, so `measured` is the standard load's alone.
        try await Self.emptyCache()
        let naive = try await lesson.check("server", label: "no cache")
        try await Self.emptyCache()
        let obvious = try await lesson.check("server-fixed", label: "the obvious cache", environment: Self.allOff)
        try await Self.emptyCache()
        let codeOnly = try await lesson.check("server-fixed", label: "fixed code, redis.conf unchanged")
        try await Self.emptyCache()
        let fixed = try await reference.check("server-fixed", label: "the reference (server-fixed + redis.fixed.conf)", reference: true)
        try await Self.emptyCache()
        let noInvalidation = try await Self.run(lesson, "server-fixed", "no invalidation", environment: ["CACHE_INVALIDATION": "off"])
        // Keys without a time to live under volatile-lru, which may only drop keys that have one: Redis fills up.
        let noTTL = try await Self.run(
            lesson,
            "server-fixed",
            "no TTL, volatile-lru",
            environment: ["CACHE_TTL": "off"],
            evictionPolicy: "volatile-lru"
        )
        // Trending expires every 5 s in these two runs: 4 expiries after the first miss in 20 s.
        let noCoalescing = try await Self.run(
            lesson,
            "server-fixed",
            "no coalescing, 5 s TTL",
            environment: ["CACHE_COALESCING": "off", "CACHE_TRENDING_TTL": "5"],
            evictionPolicy: Self.fixedPolicy
        )
        let fixedShortTTL = try await Self.run(
            lesson,
            "server-fixed",
            "fixed, 5 s TTL",
            environment: ["CACHE_TRENDING_TTL": "5"],
            evictionPolicy: Self.fixedPolicy
        )
        // The fixed setup once more, its steady state: trending cached before the load. The wide margin is claimed
        // on this run. From a cold cache (the check's), p99 is the first 300 ms aggregate that every early request
        // waits for: more than 1% of the requests on a slower or busier machine (p99 437 ms in one run here).
        let fixedRun = try await Self.run(lesson, "server-fixed", "fixed, warm", evictionPolicy: Self.fixedPolicy, warm: true)
        // Redis paused for 8 s in the middle of the load (longer than a user waits: the load's 5 s timeout): the obvious
        // cache waits on it, the fixed one falls back.
        let obviousPaused = try await Self.run(lesson, "server-fixed", "the obvious cache, Redis paused", environment: Self.allOff, pauseRedis: true)
        let fixedPaused = try await Self.run(lesson, "server-fixed", "fixed, Redis paused", evictionPolicy: Self.fixedPolicy, pauseRedis: true)

        // No cache: the same 300 ms aggregate for every visitor; the pool fills, requests wait and give up.
        #expect(lesson.misses(naive.result))
        #expect(naive.result.totals.successRate < 50, "\(naive.result.totals.successRate)%")
        #expect(naive.findings.map(\.problem.id) == ["same-work-again", "stampede"])

        // The obvious cache is fast (many times the naive throughput) but wrong and spiky.
        #expect(obvious.result.totals.requestsPerSecond > 20 * naive.result.totals.requestsPerSecond)
        #expect(try Self.step("new price › see the new price", obvious.result).counts.wrongAnswers > 100, "stale prices")
        let obviousAggregates = obvious.measured["same-work-again"] ?? 0
        #expect(obviousAggregates > 2, "a stampede: \(obviousAggregates) aggregates for one expiry")
        #expect(lesson.misses(obvious.result))
        // (With Redis full, trending may never get cached: then the database repeats it too, and the check says so.)
        let obviousFound = Set(obvious.findings.map(\.problem.id))
        #expect(obviousFound.isSuperset(of: ["stale-after-write", "stampede", "redis-is-a-dependency"]), "\(obviousFound)")
        // Keys without a time to live fill maxmemory within the load on a learner's machine. On one 2.5 times
        // slower, the obvious cache served 452 req/s and did not reach maxmemory in 20 s; a learner there meets
        // the full cache one step later, with the fixed code (codeOnly, below); noTTL below fills it on any.
        if MachineSpeed.slowness < 1.5 {
            #expect(obviousFound.contains("cache-full"), "keys without a time to live fill maxmemory: writes refused (OOM)")
        }
        // Under noeviction the TTLs alone do not keep 4 MB free: the policy is half of the memory fix.
        #expect(!codeOnly.passed)
        #expect(codeOnly.findings.map(\.problem.id).contains("cache-full"), "\(codeOnly.findings.map(\.problem.id))")

        // One fix missing at a time: its problem comes back.
        #expect(try Self.step("new price › see the new price", noInvalidation.result).counts.wrongAnswers > 100)
        #expect(noTTL.refusedForMemory > 100, "no TTL: volatile-lru has nothing it may evict, writes are refused")
        #expect(noCoalescing.trendingQueries > 5 * 4, "a stampede every expiry: \(noCoalescing.trendingQueries) aggregates for 5")
        #expect(fixedShortTTL.trendingQueries <= 2 * 5, "at most 2 per expiry: \(fixedShortTTL.trendingQueries) for 5")
        // No failures either, though not every target: each refresh is a 300 ms aggregate that the requests
        // arriving meanwhile wait for, which is the p99 (measured 962 ms on a machine 2.8 times slower; within
        // the target on a learner's). What the short TTL shows is the coalescing, above and below.
        #expect(fixedShortTTL.result.totals.successRate >= 99.9, "\(fixedShortTTL.result.totals.successRate)%")
        // Without coalescing, every expiry's stampede fills the pool: the requests behind it wait (the p99) and, when
        // the aggregates are slow enough, give up (503 or no answer). Which one shows depends on the machine: on one
        // 2.9 times slower, 503, 533 and 642 requests failed in three runs, and the p99s were 2.1 s against the
        // coalescing run's 1.1 s (a ratio of 2 alone failed twice there). With coalescing, none fail (above).
        let stampedeErrors = noCoalescing.result.totals.errors
        let spike = noCoalescing.result.totals.latency.p99 / max(1, fixedShortTTL.result.totals.latency.p99)
        #expect(stampedeErrors > 50 || spike > 2, "the stampede every expiry: \(stampedeErrors) errors or no answer, p99 \(spike)x")

        // Fixed (server-fixed with redis.fixed.conf: `maxmemory-policy allkeys-lru`): every target, not one stale
        // answer, one aggregate per expiry (two at most, allowing a slow one), and the check passes.
        #expect(fixed.passed, "the reference should pass: \(fixed.findings.map(\.message))")
        #expect(lesson.passes(fixed.result))
        for endpoint in fixed.result.endpoints {
            #expect(endpoint.counts.wrongAnswers == 0 && endpoint.counts.httpErrors.isEmpty, "\(endpoint.name): \(endpoint.counts)")
        }
        let fixedAggregates = fixed.measured["same-work-again"] ?? .infinity
        #expect(fixedAggregates <= 2, "\(fixedAggregates) aggregates")
        #expect(fixed.measured["cache-full"] == 0, "TTLs and allkeys-lru: Redis never refuses a write")

        // Redis paused: the cache is an optimisation, not a dependency. The obvious cache's users wait on Redis
        // and give up; the fixed shop answers every one of them from PostgreSQL.
        #expect(obviousPaused.result.totals.errors > 50, "\(obviousPaused.result.totals.errors) errors or no answer")
        #expect(fixedPaused.result.totals.successRate >= 99.0, "\(fixedPaused.result.totals.successRate)%")
        #expect(fixedPaused.result.totals.errors == 0, "\(fixedPaused.result.totals.errors) errors or no answer")
        // The steady state in one run with no cache: an order of magnitude faster. (The wide margin under the
        // absolute p99 target is a benchmark's, Shared/bench/targets-under-background-load.sh: asserted here it
        // failed in 2 runs of 4 here: p99 437 ms from a cold cache, 109 ms warm on a busy machine, against 250 / 3.)
        #expect(fixedRun.result.totals.latency.p99 * 10 < naive.result.totals.latency.p99, "\(fixedRun.result.totals.latency.p99) ms")
        #expect(fixedRun.trendingQueries <= 2, "\(fixedRun.trendingQueries) aggregates")
        #expect(fixedRun.refusedForMemory == 0, "\(fixedRun.refusedForMemory) writes refused")

        print("LESSON SUMMARY (trending: aggregates PostgreSQL ran during the run, with a 30 s time to live)")
        let checked = [("no cache", naive), ("the obvious cache", obvious), ("fixed code, redis.conf unchanged", codeOnly), ("fixed", fixed)]
        for (label, run) in checked {
            print(
                "  \(label) (checked): \(Int(run.result.totals.requestsPerSecond)) req/s, \(String(format: "%.2f", run.result.totals.successRate))% as expected, "
                    + "p99 \(Int(run.result.totals.latency.p99)) ms, stale \(run.result.totals.wrongAnswers), trending aggregates \(Int(run.measured["same-work-again"] ?? -1)), "
                    + "writes refused for memory \(Int(run.measured["cache-full"] ?? -1)), errors or no answer \(run.result.totals.errors)"
            )
        }
        for run in [noInvalidation, noTTL, noCoalescing, fixedShortTTL, fixedRun, obviousPaused, fixedPaused] {
            print(
                "  \(run.label): \(Int(run.result.totals.requestsPerSecond)) req/s, \(String(format: "%.2f", run.result.totals.successRate))% as expected, "
                    + "p99 \(Int(run.result.totals.latency.p99)) ms, stale \(run.result.totals.wrongAnswers), trending aggregates \(run.trendingQueries), "
                    + "writes refused for memory \(run.refusedForMemory), errors or no answer \(run.result.totals.errors)"
            )
        }
    }

    @Test("a cached page is the page: server-fixed answers from Redis exactly what server answers from PostgreSQL")
    func cachedPagesAreThePages() async throws {
        let lesson = try Lesson(scenarioNumber: "05", file: #filePath)
        try await lesson.prepare()
        let paths = ["/trending", "/products/1", "/products/3", "/products/19999"]
        let fromDatabase = try await lesson.withServer("server") { try await Self.pages(paths) }
        _ = try await Shell.run(["redis-cli", "-p", "63790", "FLUSHALL"])
        let (miss, hit) = try await lesson.withServer("server-fixed") { (try await Self.pages(paths), try await Self.pages(paths)) }
        for (index, path) in paths.enumerated() {
            #expect(fromDatabase[index] == miss[index], "\(path): the page built on a miss differs from server's")
            #expect(fromDatabase[index] == hit[index], "\(path): the page read from Redis differs from server's")
        }
    }

    /// Each path's JSON with its keys sorted (key order differs between processes; the content must not).
    static func pages(_ paths: [String]) async throws -> [String] {
        var pages: [String] = []
        for path in paths {
            let answer = try #require(await LocalHTTP.get(port: 8080, path: path), "no answer for \(path)")
            #expect(answer.status == 200, "\(path): \(answer.status) \(answer.body)")
            let object = try JSONSerialization.jsonObject(with: Data(answer.body.utf8))
            let sorted = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            pages.append(String(decoding: sorted, as: UTF8.self))
        }
        return pages
    }

    // MARK: - Helpers

    /// The lesson with Redis started from the reference's redis.conf (``Scenario/Manifest/fixedConfigs``).
    static func withFixedRedisConfig(_ lesson: Lesson) throws -> Lesson {
        var scenario = lesson.scenario
        let redis = try #require(scenario.manifest.services?.firstIndex { $0.kind == RedisService.kind })
        scenario.manifest.services?[redis].config = try #require(scenario.manifest.fixedConfigs?["redis.conf"])
        return Lesson(scenario: scenario, paths: lesson.paths)
    }

    /// A cold cache for the next run, as `./lab reset 05` leaves it.
    static func emptyCache() async throws {
        _ = try await Shell.run(["redis-cli", "-p", "63790", "FLUSHALL"])
    }

    /// `maxmemory-policy` of the reference's redis.conf (redis.fixed.conf).
    static var fixedPolicy: String {
        get throws {
            let lesson = try Lesson(scenarioNumber: "05", file: #filePath)
            let file = try #require(lesson.scenario.manifest.fixedConfigs?["redis.conf"])
            let text = try String(contentsOf: lesson.scenario.file(file), encoding: .utf8)
            return try #require(RedisService.settings(in: text).first { $0.name == "maxmemory-policy" }?.value)
        }
    }

    /// The obvious first cache: `server-fixed` with its four fixes switched off (LessonSwitches.swift).
    static let allOff = ["CACHE_TTL": "off", "CACHE_INVALIDATION": "off", "CACHE_COALESCING": "off", "CACHE_FAIL_OPEN": "off"]

    struct Run: Sendable {
        var label: String
        var result: LoadResult
        /// How many times PostgreSQL ran the trending aggregate during the run (pg_stat_statements).
        var trendingQueries: Int
        /// Commands Redis refused because maxmemory was reached (`INFO errorstats`, OOM).
        var refusedForMemory: Int
    }

    /// An empty cache (or, with `warm`, trending cached) and fresh statement counts, then the standard load against `product`.
    static func run(
        _ lesson: Lesson,
        _ product: String,
        _ label: String,
        environment: [String: String] = [:],
        evictionPolicy: String = "noeviction",
        pauseRedis: Bool = false,
        warm: Bool = false
    ) async throws -> Run {
        try await lesson.database.execute("SELECT pg_stat_statements_reset()", on: lesson.scenario)
        let result = try await lesson.measure(product, label: label, environment: environment) {
            if pauseRedis { try await Self.pauseRedis(for: .seconds(8)) }
        } before: {
            // The server has started Redis by now (the scenario's services come first).
            for command in [["FLUSHALL"], ["CONFIG", "RESETSTAT"], ["CONFIG", "SET", "maxmemory-policy", evictionPolicy]] {
                _ = try await Shell.run(["redis-cli", "-p", "63790"] + command)
            }
            // Trending cached once before the load, as on a shop that has been up a while.
            if warm { _ = await LocalHTTP.get(port: 8080, path: "/trending") }
        }.result
        let info = try await Shell.capture(["redis-cli", "-p", "63790", "INFO", "errorstats"]).text
        let refused = RedisService.fields(ofInfo: info)["errorstat_OOM"].flatMap { Int($0) } ?? 0
        // The trending aggregates counted as the check counts them (checks.json's same-work-again), one query for both.
        let count = try #require(try ProblemCatalog.load(for: lesson.scenario)?.problems.first { $0.id == "same-work-again" }?.observe.sql)
        let calls = try await lesson.database.strings("SELECT (\(count))::text", on: lesson.scenario)
        return Run(label: label, result: result, trendingQueries: Int(calls.first ?? "0") ?? 0, refusedForMemory: refused)
    }

    /// SIGSTOP, then SIGCONT: what a stuck Redis looks like from outside (it accepts connections, answers nothing).
    static func pauseRedis(for duration: Duration) async throws {
        let info = try await Shell.capture(["redis-cli", "-p", "63790", "INFO", "server"]).text
        let pid = try #require(info.split(whereSeparator: \.isNewline).first { $0.hasPrefix("process_id:") }?.dropFirst("process_id:".count))
        _ = try await Shell.run(["kill", "-STOP", String(pid).trimmingCharacters(in: .whitespaces)])
        try await Task.sleep(for: duration)
        _ = try await Shell.run(["kill", "-CONT", String(pid).trimmingCharacters(in: .whitespaces)])
    }

    static func step(_ name: String, _ result: LoadResult) throws -> LoadResult.Endpoint {
        try #require(result.endpoints.first { $0.name == name }, "no step \(name)")
    }
}
