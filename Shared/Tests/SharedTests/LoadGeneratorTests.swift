import LoadTestKit
import Testing

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
    }

    @Test("a server that does not answer in time: every request is a timeout failure")
    func timeouts() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let result = try await LoadGenerator.run(self.plan(server.url, path: "/slow", users: 3, seconds: 1, timeout: 0.3))
        #expect(result.totals.sent >= 3)
        #expect(result.totals.timeouts == result.totals.sent)
        #expect(result.totals.succeeded == 0)
        // Timed-out requests are in the latency percentiles at the time they waited, not left out.
        #expect(result.totals.latency.p50 >= 290)
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
        let summary = recorder.summary
        #expect(abs(summary.p50 - 5.0) / 5.0 < 0.002)
        #expect(abs(summary.p90 - 9.0) / 9.0 < 0.002)
        #expect(abs(summary.p99 - 9.9) / 9.9 < 0.002)
        #expect(abs(summary.max - 10.0) / 10.0 < 0.002)
        #expect(abs(summary.mean - 5.0005) / 5.0 < 0.002)
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
