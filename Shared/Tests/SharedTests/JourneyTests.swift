import Foundation
import LoadTestKit
import Testing

/// Scripted journeys (``Journey``): cookies carried from step to step, values captured and read back, and a
/// 200 with stale data counted as the failure it is.
@Suite("Load tool journeys judge answers, not just statuses", .serialized)
struct JourneyTests {
    /// Log in (a cookie, a captured id), see my page (needs the cookie), write a note, read it back from `readPath`.
    static func journey(readPath: String) -> Journey {
        Journey(
            name: "note",
            steps: [
                JourneyStep(name: "log in", method: "POST", path: "/login", body: "{name}", contentType: "text/plain", capture: ["id": "id"]),
                JourneyStep(name: "me", path: "/me", expect: .init(status: 200, bodyContains: "hello {name}")),
                JourneyStep(name: "write", method: "PUT", path: "/notes/{id}-{name}", body: "note {unique}", contentType: "text/plain"),
                JourneyStep(name: "read back", path: readPath + "/{id}-{name}", expect: .init(bodyContains: "note {unique}")),
            ]
        )
    }

    static func plan(_ url: String, journeys: [Journey], users: Int = 4) -> LoadPlan {
        LoadPlan(
            url: url,
            users: users,
            durationSeconds: 1,
            timeoutSeconds: 5,
            journeys: journeys,
            parameters: ["name": (1...40).map { "cook\($0)" }]
        )
    }

    @Test("cookies, captures and {unique} flow from step to step; every journey started is counted as a whole")
    func succeedingJourneys() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let result = try await LoadGenerator.run(Self.plan(server.url, journeys: [Self.journey(readPath: "/notes")]))
        let journey = try #require(result.journeys?.first)
        #expect(journey.counts.sent > 20)
        #expect(journey.counts.succeeded == journey.counts.sent, "failures: \(journey.failures)")
        #expect(result.endpoints.map(\.name) == ["note › log in", "note › me", "note › write", "note › read back"])
        // Journeys under way when the time was up were finished: every step was reached by every journey.
        #expect(result.endpoints.allSatisfy { $0.counts.sent == journey.counts.sent })
        #expect(result.totals.successRate == 100)
        #expect(journey.counts.latency.p50 > 0)
        expectCountsAddUp(result)
    }

    @Test("a 200 with stale data fails the journey at that step, with the reason, and counts as wrong data")
    func staleReads() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let targets = LoadTargets(minSuccessRate: 99.9)
        var stale = Self.journey(readPath: "/stale-notes")
        stale.targets = targets
        let result = try await LoadGenerator.run(Self.plan(server.url, journeys: [stale]))
        let journey = try #require(result.journeys?.first)
        #expect(journey.counts.sent > 20)
        #expect(journey.counts.succeeded == 0)
        #expect(journey.failures == ["read back": [#"200, but without "note {unique}""#: journey.counts.sent]])
        let readBack = try #require(result.endpoints.last)
        #expect(readBack.counts.wrongAnswers == readBack.counts.sent)
        #expect(result.totals.wrongAnswers == readBack.counts.sent)
        #expect(!result.passes(LoadTargets()))
        let report = LoadReport.render(result, targets: LoadTargets())
        #expect(report.contains("wrong data (stale or missing)"))
        #expect(report.contains(#"× 200, but without "note {unique}""#))
        #expect(report.contains("🔴 note"))
    }

    @Test("an expected error status is a success; an unexpected one names what came and what was expected")
    func expectedStatuses() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let journeys = [
            Journey(name: "anonymous", steps: [JourneyStep(name: "me without logging in", path: "/me", expect: .init(status: 401))]),
            Journey(name: "expects login", steps: [JourneyStep(name: "me", path: "/me")]),
        ]
        let result = try await LoadGenerator.run(Self.plan(server.url, journeys: journeys))
        let anonymous = try #require(result.journeys?.first)
        let expectsLogin = try #require(result.journeys?.last)
        #expect(anonymous.counts.sent > 10 && anonymous.counts.succeeded == anonymous.counts.sent)
        #expect(expectsLogin.counts.sent > 10 && expectsLogin.counts.succeeded == 0)
        #expect(expectsLogin.failures == ["me": ["401 instead of 2xx": expectsLogin.counts.sent]])
        #expect(result.endpoints.last?.counts.httpErrors == ["401": expectsLogin.counts.sent])
    }

    @Test("two users never act on the same account at once: each draws from its own share of the values")
    func disjointAccounts() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        // As many names as users: with shared draws, one user's write would often land between another's
        // write and read of the same note.
        let journey = Journey(
            name: "overwrite",
            steps: [
                JourneyStep(name: "write", method: "PUT", path: "/notes/{name}", body: "{unique}", contentType: "text/plain"),
                JourneyStep(name: "read back", path: "/notes/{name}", expect: .init(bodyContains: "{unique}")),
            ]
        )
        var plan = Self.plan(server.url, journeys: [journey], users: 8)
        plan.parameters = ["name": (1...8).map { "n\($0)" }]
        let result = try await LoadGenerator.run(plan)
        let counts = try #require(result.journeys?.first?.counts)
        #expect(counts.sent > 100)
        #expect(counts.succeeded == counts.sent)
    }

    @Test("a result with journeys survives --json and compare puts the journeys side by side")
    func savedAndCompared() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let before = try await LoadGenerator.run(Self.plan(server.url, journeys: [Self.journey(readPath: "/stale-notes")]))
        let after = try await LoadGenerator.run(Self.plan(server.url, journeys: [Self.journey(readPath: "/notes")]))
        let saved = try JSONDecoder().decode(LoadResult.self, from: try JSONEncoder().encode(before))
        #expect(saved == before)
        let comparison = LoadComparison.render(before: saved, after: after)
        #expect(comparison.contains("Journeys that succeeded:"))
        #expect(comparison.contains("\n    note      "), "\(comparison)")
        #expect(comparison.contains("0.00%       100.00%   +100.00 points"), "\(comparison)")
        #expect(comparison.contains("0.00%"))
        #expect(comparison.contains("100.00%"))
        #expect(comparison.contains("    wrong data (a 200)"), "\(comparison)")
    }

    /// A journey as `lab.json` writes it (so the test reads the field the way a scenario does).
    static func decodeJourney(_ json: String) throws -> Journey {
        try JSONDecoder().decode(Journey.self, from: Data(json.utf8))
    }

    @Test("a step asAnotherUser goes without the user's cookies, and the user's own steps keep them")
    func anotherUsersCookies() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let journey = try Self.decodeJourney(
            """
            {"name": "private page", "steps": [
              {"name": "log in", "method": "POST", "path": "/login", "body": "{name}", "contentType": "text/plain"},
              {"name": "my page", "path": "/me", "expect": {"status": 200, "bodyContains": "hello {name}"}},
              {"name": "someone else cannot see it", "path": "/me", "asAnotherUser": true, "expect": {"status": 401}},
              {"name": "my page again", "path": "/me", "expect": {"status": 200, "bodyContains": "hello {name}"}}
            ]}
            """
        )
        let result = try await LoadGenerator.run(Self.plan(server.url, journeys: [journey]))
        let counts = try #require(result.journeys?.first?.counts)
        #expect(counts.sent > 10)
        #expect(counts.succeeded == counts.sent, "\(result.journeys?.first?.failures ?? [:])")
        #expect(result.endpoints.map(\.name)[2] == "private page › someone else cannot see it")
        expectCountsAddUp(result)
    }

    @Test("a step asAnotherUser comes from another source address; the user's own steps from its own")
    func anotherUsersAddress() async throws {
        let server = try await PeerServer.start()
        defer { Task { await server.stop() } }
        let journey = try Self.decodeJourney(
            """
            {"name": "addresses", "steps": [
              {"name": "who am I", "path": "/whoami", "capture": {"ip": "peer"}},
              {"name": "another member", "path": "/peer-is/{ip}", "asAnotherUser": true, "expect": {"bodyContains": "different"}},
              {"name": "me again", "path": "/peer-is/{ip}", "expect": {"bodyContains": "same"}}
            ]}
            """
        )
        let result = try await LoadGenerator.run(Self.plan(server.url, journeys: [journey]))
        let counts = try #require(result.journeys?.first?.counts)
        #expect(counts.sent > 10)
        #expect(counts.succeeded == counts.sent, "\(result.journeys?.first?.failures ?? [:])")
        // 4 users, each with its own address and another one for its steps as another user.
        #expect(server.requestsByPeer.count == 8, "\(server.requestsByPeer)")
        #expect(result.sourceAddresses == "one address per user, 127.1.0.1 to 127.1.3.1; steps as another user from 127.1.4.1 to 127.1.7.1")
        expectCountsAddUp(result)
    }

    @Test("a journey reads bodies and cookies of answers framed every way HTTP allows, even in pieces")
    func framedAnswers() async throws {
        let server = try await PeerServer.start()
        defer { Task { await server.stop() } }
        let journey = Journey(
            name: "framing",
            steps: [
                JourneyStep(name: "chunked", path: "/chunked", expect: .init(status: 200, bodyContains: "Wikipedia")),
                JourneyStep(name: "ended by close", path: "/until-close", expect: .init(bodyContains: "read until the end")),
                JourneyStep(name: "after 103", path: "/interim", expect: .init(status: 200, bodyContains: "after")),
                JourneyStep(name: "no content", path: "/no-content", expect: .init(status: 204)),
                JourneyStep(name: "who", path: "/whoami", capture: ["ip": "peer"]),
            ]
        )
        let result = try await LoadGenerator.run(Self.plan(server.url, journeys: [journey]))
        let counts = try #require(result.journeys?.first?.counts)
        #expect(counts.sent > 5 && counts.succeeded == counts.sent, "\(result.journeys?.first?.failures ?? [:])")
        expectCountsAddUp(result)
    }

    @Test("a step field that does not exist, or asAnotherUser that is not true or false, is an error, not ignored")
    func stepFields() throws {
        #expect(throws: DecodingError.self) {
            try Self.decodeJourney(#"{"name": "j", "steps": [{"path": "/me", "asAnotherUsr": true}]}"#)
        }
        #expect(throws: DecodingError.self) {
            try Self.decodeJourney(#"{"name": "j", "steps": [{"path": "/me", "asAnotherUser": "yes"}]}"#)
        }
        let journey = try Self.decodeJourney(#"{"name": "j", "steps": [{"path": "/me", "asAnotherUser": true}, {"path": "/x"}]}"#)
        #expect(journey.steps.map(\.asAnotherUser) == [true, false])
    }

    @Test("a plan with journeys is checked before it runs")
    func validation() {
        func plan(_ journeys: [Journey]) -> LoadPlan { Self.plan("http://127.0.0.1:1", journeys: journeys) }
        let unknown = Journey(name: "j", steps: [JourneyStep(name: "s", path: "/x/{nobody}")])
        #expect(throws: LoadPlanError.self) { try plan([unknown]).validate() }
        // A captured value may be used by later steps only.
        let early = Journey(name: "j", steps: [JourneyStep(name: "a", path: "/a/{id}"), JourneyStep(name: "b", path: "/b", capture: ["id": "id"])])
        #expect(throws: LoadPlanError.self) { try plan([early]).validate() }
        let late = Journey(name: "j", steps: [JourneyStep(name: "a", path: "/a", capture: ["id": "id"]), JourneyStep(name: "b", path: "/b/{id}")])
        #expect(throws: Never.self) { try plan([late]).validate() }
        #expect(throws: Never.self) { try plan([Journey(name: "j", steps: [JourneyStep(name: "a", path: "/a/{unique}")])]).validate() }
        let twice = Journey(name: "j", steps: [JourneyStep(name: "a", path: "/a"), JourneyStep(name: "a", path: "/b")])
        #expect(throws: LoadPlanError.self) { try plan([twice]).validate() }
        #expect(throws: LoadPlanError.self) { try plan([late, late]).validate() }
        var both = plan([late])
        both.requests = [RequestTemplate(name: "x", path: "/x")]
        #expect(throws: LoadPlanError.invalid("a load test sends either a request mix or journeys, not both")) { try both.validate() }
    }
}
