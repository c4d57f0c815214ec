import Foundation
import LabKit
import LoadTestKit
import Testing

/// Every request sent ends in exactly one outcome: sent = succeeded + each kind of failure, in the totals,
/// for each endpoint and for each journey.
func expectCountsAddUp(_ result: LoadResult, sourceLocation: SourceLocation = #_sourceLocation) {
    let all = [result.totals] + result.endpoints.map(\.counts) + (result.journeys ?? []).map(\.counts)
    for counts in all {
        #expect(
            counts.sent == counts.succeeded + counts.timeouts + counts.connectionErrors + counts.httpErrorCount + counts.wrongAnswers,
            "\(counts)",
            sourceLocation: sourceLocation
        )
    }
}

@Suite("Load tool counts every request it sends", .serialized)
struct LoadGeneratorTests {
    func plan(_ url: String, path: String, users: Int = 4, seconds: Double = 1, timeout: Double = 5) -> LoadPlan {
        LoadPlan(url: url, users: users, durationSeconds: seconds, timeoutSeconds: timeout, requests: [RequestTemplate(name: "x", path: path)])
    }

    @Test("successful requests: all sent are answered and counted")
    func successes() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let result = try await LoadGenerator.run(self.plan(server.url, path: "/ok"))
        #expect(result.totals.sent > 100)
        #expect(result.totals.succeeded == result.totals.sent)
        #expect(result.totals.successRate == 100)
        #expect(result.totals.requestsPerSecond > 50)
        #expect(result.totals.latency.p99 > 0)
        expectCountsAddUp(result)
    }

    @Test("500 answers are failures, counted by status")
    func serverErrors() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let result = try await LoadGenerator.run(self.plan(server.url, path: "/boom"))
        #expect(result.totals.sent > 10)
        #expect(result.totals.succeeded == 0)
        #expect(result.totals.httpErrors["500"] == result.totals.sent)
        #expect(result.totals.successRate == 0)
        expectCountsAddUp(result)
    }

    @Test("a request mix (which skips answers' bodies) still quotes the first error answer of each status")
    func errorExamples() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let result = try await LoadGenerator.run(self.plan(server.url, path: "/teapot"))
        #expect(result.totals.httpErrors["400"] == result.totals.sent)
        let example = try #require(result.totals.errorExamples["400"])
        #expect(example.contains("bad"), "the 400's body, not an empty one: \(example)")
    }

    @Test("an HTML error page is quoted by its title, not by its first line (\"<html>\")")
    func htmlErrorExample() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let result = try await LoadGenerator.run(self.plan(server.url, path: "/bad-gateway"))
        #expect(result.totals.errorExamples["502"] == "502 Bad Gateway (an HTML page)")
    }

    @Test("a server that does not answer in time: every request is a timeout failure")
    func timeouts() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let result = try await LoadGenerator.run(self.plan(server.url, path: "/slow", users: 3, seconds: 1, timeout: 0.3))
        #expect(result.totals.sent >= 3)
        #expect(result.totals.timeouts == result.totals.sent)
        #expect(result.totals.succeeded == 0)
        // Timed-out requests are in the latency percentiles (at least the time they waited), not left out.
        #expect(result.totals.latency.p50 >= 290)
        #expect(!result.passes(LoadTargets(maxP99Milliseconds: 10_000)))
        expectCountsAddUp(result)
    }

    @Test("nothing listening: connection errors are failures, not ignored")
    func refused() async throws {
        let server = try await TestServer.start()
        let url = server.url
        await server.stop()
        let result = try await LoadGenerator.run(self.plan(url, path: "/ok", users: 2, seconds: 0.5))
        #expect(result.totals.sent > 0)
        #expect(result.totals.connectionErrors == result.totals.sent)
        #expect(result.totals.successRate == 0)
        expectCountsAddUp(result)
    }

    @Test("a dead server never passes: `loadtest run` of a closed port fails its p99 and throughput targets and exits 1")
    func deadServerFails() async throws {
        let server = try await TestServer.start()
        let url = server.url
        await server.stop()
        let users = 50
        let plan = self.plan(url, path: "/x", users: users, seconds: 2)
        // What `loadtest run URL -u 50 -d 2 --max-p99 500` does after parsing its options.
        let status = try await LoadTestRunner.run(plan, targets: LoadTargets(maxP99Milliseconds: 500), jsonPath: nil)
        #expect(status == 1)
        let result = try await LoadGenerator.run(plan)
        let targets = LoadTargets(maxP99Milliseconds: 500, minRequestsPerSecond: 0)
        #expect(!result.passes(targets))
        #expect(targets.evaluate(result.totals).allSatisfy { !$0.passed })
        let report = LoadReport.render(result, targets: targets)
        #expect(report.contains("✗ p99 latency ≤ 500 ms"), "\(report)")
        #expect(report.contains("measured no answer"), "\(report)")
        #expect(!report.contains("PASS"))
        // Each user backs off (10 ms doubling to 1 s): about 8 attempts in 2 s, not one every 10 ms (200).
        #expect(result.totals.sent >= users && result.totals.sent <= users * 12, "sent \(result.totals.sent)")
        #expect(result.totals.connectionErrors == result.totals.sent)
        expectCountsAddUp(result)
    }

    @Test("a server that resets half its connections and answers the rest fast cannot pass a p99 target")
    func halfReset() async throws {
        let server = try await PeerServer.start(.resetEveryOtherConnection)
        defer { Task { await server.stop() } }
        let result = try await LoadGenerator.run(self.plan(server.url, path: "/ok", users: 4, seconds: 1))
        #expect(result.totals.succeeded > 20)
        #expect(result.totals.connectionErrors > result.totals.sent / 4, "\(result.totals)")
        #expect(result.totals.latency.isUnanswered(.p99))
        #expect(!result.passes(LoadTargets(maxP99Milliseconds: 1000)))
        let report = LoadReport.render(result, targets: LoadTargets(maxP99Milliseconds: 1000))
        #expect(report.contains("p99 (slowest 1 in 100)      no answer"), "\(report)")
        #expect(report.contains("ranks above every answer"))
        #expect(report.contains("FAIL"))
        expectCountsAddUp(result)
    }

    @Test("answers framed every way HTTP allows are read whole, even in pieces; a non-HTTP answer is a connection error")
    func framing() async throws {
        let server = try await PeerServer.start()
        defer { Task { await server.stop() } }
        let paths = ["/chunked", "/until-close", "/interim", "/no-content", "/garbage"]
        let plan = LoadPlan(
            url: server.url,
            users: 5,
            durationSeconds: 0.5,
            timeoutSeconds: 2,
            requests: paths.map { RequestTemplate(name: $0, path: $0) }
        )
        let result = try await LoadGenerator.run(plan)
        for endpoint in result.endpoints.dropLast() {
            #expect(endpoint.counts.sent > 5 && endpoint.counts.succeeded == endpoint.counts.sent, "\(endpoint.name): \(endpoint.counts)")
        }
        let garbage = try #require(result.endpoints.last?.counts)
        #expect(garbage.sent > 0 && garbage.connectionErrors == garbage.sent, "\(garbage)")
        #expect(result.totals.timeouts == 0)
        expectCountsAddUp(result)
    }

    @Test("a weighted mix sends each kind in proportion and fills placeholders from the parameters")
    func weightedMix() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let plan = LoadPlan(
            url: server.url,
            users: 4,
            durationSeconds: 1,
            timeoutSeconds: 5,
            requests: [RequestTemplate(name: "ok", path: "/ok", weight: 3), RequestTemplate(name: "missing", path: "/users/{id}", weight: 1)],
            parameters: ["id": ["1", "2"]]
        )
        let result = try await LoadGenerator.run(plan)
        let ok = result.endpoints[0].counts.sent
        let missing = result.endpoints[1].counts.sent
        #expect(result.endpoints[1].counts.httpErrors["404"] == missing)
        #expect(Double(ok) / Double(max(1, missing)) > 2 && Double(ok) / Double(max(1, missing)) < 4.5)
        #expect(ok + missing == result.totals.sent)
        expectCountsAddUp(result)
    }

    @Test("invalid plans are rejected with a message")
    func invalidPlans() {
        #expect(throws: LoadPlanError.self) { try self.plan("ftp://x", path: "/").validate() }
        #expect(throws: LoadPlanError.self) { try self.plan("http://127.0.0.1:1", path: "/", users: 0).validate() }
        #expect(throws: LoadPlanError.self) { try self.plan("http://127.0.0.1:1", path: "nope").validate() }
        let missing = LoadPlan(url: "http://127.0.0.1:1", requests: [RequestTemplate(name: "x", path: "/u/{email}")])
        #expect(throws: LoadPlanError.invalid("request 'x' uses {email} but no values for 'email' were given")) { try missing.validate() }
    }
}

@Suite("Load results: percentiles, verdicts, reports")
struct LoadResultTests {
    @Test("percentiles of a known uniform distribution are within 0.1%")
    func percentiles() {
        var recorder = LatencyRecorder()
        for microseconds in 1...10_000 { recorder.record(nanoseconds: UInt64(microseconds) * 1000) }
        let summary = recorder.summary(noAnswerMilliseconds: 5000)
        #expect(abs(summary.p50 - 5.0) / 5.0 < 0.002)
        #expect(abs(summary.p90 - 9.0) / 9.0 < 0.002)
        #expect(abs(summary.p99 - 9.9) / 9.9 < 0.002)
        #expect(abs(summary.max - 10.0) / 10.0 < 0.002)
        #expect(abs(summary.mean - 5.0005) / 5.0 < 0.002)
    }

    @Test("requests with no answer rank above every answer: the percentiles that fall among them say so")
    func unansweredPercentiles() {
        var recorder = LatencyRecorder()
        for _ in 0..<98 { recorder.record(nanoseconds: 1_000_000) }
        recorder.recordNoAnswer()
        recorder.recordNoAnswer()
        let latency = recorder.summary(noAnswerMilliseconds: 5000)
        #expect(latency.requests == 100 && latency.unanswered == 2)
        #expect(!latency.isUnanswered(.p50) && !latency.isUnanswered(.p90))
        #expect(abs(latency.p90 - 1) < 0.01)
        #expect(latency.isUnanswered(.p99) && latency.isUnanswered(.max))
        #expect(latency.p99 == 5000)
        #expect(abs(latency.mean - 1) < 0.01)
        // 1 in 200 with no answer: the p99 is still an answer's.
        var mostly = LatencyRecorder()
        for _ in 0..<199 { mostly.record(nanoseconds: 2_000_000) }
        mostly.recordNoAnswer()
        #expect(!mostly.summary(noAnswerMilliseconds: 5000).isUnanswered(.p99))
        #expect(mostly.summary(noAnswerMilliseconds: 5000).isUnanswered(.p999))
        // Nothing answered: every percentile is "no answer", and every latency and throughput target fails.
        var none = LatencyRecorder()
        none.recordNoAnswer()
        var counts = LoadResult.Counts()
        counts.sent = 1
        counts.connectionErrors = 1
        counts.latency = none.summary(noAnswerMilliseconds: 5000)
        #expect(LoadResult.Latency.Percentile.allCases.allSatisfy(counts.latency.isUnanswered))
        let checks = LoadTargets(maxP99Milliseconds: 1e9, minRequestsPerSecond: 0).evaluate(counts)
        #expect(checks.map(\.passed) == [false, false])
        #expect(checks[0].measured == "no answer")
    }

    @Test("a result saved as JSON before requests with no answer were ranked still loads and compares")
    func oldResults() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loadtest-old-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let old = folder.appendingPathComponent("old.loadtest.json")
        try Data(savedByVersionBefore.utf8).write(to: old)
        let loaded = try JSONDecoder().decode(LoadResult.self, from: Data(savedByVersionBefore.utf8))
        #expect(loaded.totals.latency.p99 == 0.551)
        #expect(!loaded.totals.latency.isUnanswered(.p99))
        #expect(loaded.sourceAddresses == nil)
        var now = loaded
        now.totals.latency.p99 = 0.551 / 2
        let new = folder.appendingPathComponent("new.loadtest.json")
        try JSONEncoder().encode(now).write(to: new)
        let comparison = try LoadTestRunner.compare(beforePath: old.path, afterPath: new.path)
        #expect(comparison.contains("Latency p99"))
        #expect(comparison.contains("2.0× better"), "\(comparison)")
    }

    @Test("success rate is over requests sent, and the verdict checks each target")
    func verdict() {
        var counts = LoadResult.Counts()
        counts.sent = 1000
        counts.succeeded = 990
        counts.timeouts = 10
        counts.requestsPerSecond = 600
        counts.latency.p99 = 300
        #expect(counts.successRate == 99)
        #expect(counts.failed == 10)
        let checks = LoadTargets(minSuccessRate: 99.9, maxP99Milliseconds: 250, minRequestsPerSecond: 500).evaluate(counts)
        #expect(checks.map(\.passed) == [false, false, true])
        #expect(LoadTargets().evaluate(counts).isEmpty)
    }

    @Test("the report and the comparison say it in plain words")
    func reports() {
        var before = LoadResult(
            url: "http://x",
            users: 100,
            durationSeconds: 20,
            timeoutSeconds: 5,
            elapsedSeconds: 25,
            totals: .init(),
            endpoints: []
        )
        before.totals.sent = 510
        before.totals.succeeded = 275
        before.totals.timeouts = 235
        before.totals.requestsPerSecond = 12
        before.totals.latency.p99 = 5054
        var after = before
        after.totals = .init()
        after.totals.sent = 79372
        after.totals.succeeded = 79372
        after.totals.requestsPerSecond = 3964
        after.totals.latency.p99 = 36
        let report = LoadReport.render(before, targets: LoadTargets(minSuccessRate: 99.9))
        #expect(report.contains("Requests sent                 510"))
        #expect(report.contains("timed out (> 5.0 s)         235"))
        #expect(report.contains("✗ success rate ≥ 99.9%"))
        #expect(report.contains("FAIL: 1 of 1 overall targets missed."))
        let comparison = LoadComparison.render(before: before, after: after)
        #expect(comparison.contains("330.3× better"))
        #expect(comparison.contains("140.4× better"))
        #expect(comparison.contains("    timed out                          235             0"))
    }

    @Test("each endpoint gets its own traffic light, and one red endpoint fails the verdict")
    func endpointVerdict() {
        let targets = LoadTargets(minSuccessRate: 99.9, maxP99Milliseconds: 100)
        func counts(p99: Double, succeeded: Int) -> LoadResult.Counts {
            var counts = LoadResult.Counts()
            counts.sent = 1000
            counts.succeeded = succeeded
            counts.latency.p99 = p99
            return counts
        }
        #expect(targets.grade(counts(p99: 80, succeeded: 1000)) == .green)
        #expect(targets.grade(counts(p99: 180, succeeded: 1000)) == .amber)
        #expect(targets.grade(counts(p99: 80, succeeded: 992)) == .amber)
        #expect(targets.grade(counts(p99: 250, succeeded: 1000)) == .red)
        #expect(targets.grade(counts(p99: 80, succeeded: 980)) == .red)
        var result = LoadResult(url: "http://x", users: 1, durationSeconds: 1, timeoutSeconds: 1, elapsedSeconds: 1, totals: .init(), endpoints: [])
        result.totals = counts(p99: 80, succeeded: 1000)
        result.endpoints = [
            .init(name: "fast lookup", counts: counts(p99: 5, succeeded: 1000), targets: targets),
            .init(name: "slow search", counts: counts(p99: 900, succeeded: 1000), targets: targets),
        ]
        #expect(!result.passes(LoadTargets(minSuccessRate: 99)))
        let report = LoadReport.render(result, targets: LoadTargets(minSuccessRate: 99))
        #expect(report.contains("🟢 fast lookup"))
        #expect(report.contains("🔴 slow search"))
        #expect(report.contains("✗ p99 latency ≤ 100 ms (900.0 ms)"))
        #expect(report.contains("FAIL: 1 of 2 endpoints miss their targets."))
        result.endpoints[1].counts = counts(p99: 50, succeeded: 1000)
        #expect(result.passes(LoadTargets(minSuccessRate: 99)))
        #expect(LoadReport.render(result, targets: LoadTargets(minSuccessRate: 99)).contains("PASS: all targets met."))
    }

    @Test("a request with a JSON body: placeholders filled and escaped, Content-Length right, the server reads it")
    func bodies() async throws {
        let template = RequestTemplate(name: "new", method: "POST", path: "/echo", body: #"{"email": "{email}", "id": {id}}"#)
        #expect(template.placeholderNames == ["email", "id"])
        #expect(template.renderBody { $0 == "email" ? #"a"b"# : "7" } == #"{"email": "a\"b", "id": 7}"#)
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let plan = LoadPlan(
            url: server.url,
            users: 2,
            durationSeconds: 1,
            timeoutSeconds: 5,
            requests: [template],
            parameters: ["email": ["x@example.com"], "id": ["42"]]
        )
        let result = try await LoadGenerator.run(plan)
        #expect(result.totals.sent > 10)
        #expect(result.totals.successRate == 100)
        #expect(server.echoed() == #"{"email": "x@example.com", "id": 42}"#)
    }

    @Test("placeholders are URL-encoded")
    func rendering() {
        let template = RequestTemplate(name: "x", path: "/users/by-email?email={email}")
        #expect(template.placeholderNames == ["email"])
        #expect(template.render { _ in "a+b c@x.com" } == "/users/by-email?email=a%2Bb%20c%40x.com")
    }
}

/// What `loadtest run http://127.0.0.1:8080/health -u 10 -d 1 --json FILE` saved before requests with no
/// answer were ranked in the percentiles (commit 188b8fb).
let savedByVersionBefore = #"""
    {
      "durationSeconds" : 1,
      "elapsedSeconds" : 1.002672269,
      "endpoints" : [
        {
          "counts" : {
            "connectionErrors" : 0,
            "httpErrors" : {

            },
            "latency" : {
              "max" : 4.403,
              "mean" : 0.26139339709157605,
              "p50" : 0.247,
              "p90" : 0.361,
              "p99" : 0.551,
              "p999" : 2.407
            },
            "requestsPerSecond" : 38147.47350347776,
            "sent" : 38165,
            "succeeded" : 38165,
            "timeouts" : 0,
            "wrongAnswers" : 0
          },
          "name" : "\/health"
        }
      ],
      "timeoutSeconds" : 5,
      "totals" : {
        "connectionErrors" : 0,
        "httpErrors" : {

        },
        "latency" : {
          "max" : 4.403,
          "mean" : 0.26139339709157605,
          "p50" : 0.247,
          "p90" : 0.361,
          "p99" : 0.551,
          "p999" : 2.407
        },
        "requestsPerSecond" : 38147.47350347776,
        "sent" : 38165,
        "succeeded" : 38165,
        "timeouts" : 0,
        "wrongAnswers" : 0
      },
      "url" : "http:\/\/127.0.0.1:8080",
      "users" : 10
    }
    """#
