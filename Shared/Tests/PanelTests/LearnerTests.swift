import Foundation
import HTTPTypes
import HummingbirdTesting
import LabKit
import LabPanel
import LoadTestKit
import Testing

@Suite("Panel hints and reveal: the same ladder as ./lab hint, the tier's rules, the reference locked until a pass or a give-up")
struct LearnerTests {
    @Test("Walking: no hint before a check; then the observed problem's hints one level at a time, recorded like ./lab hint, three at most")
    func walkingHints() async throws {
        let harness = try await PanelHarness()
        try await harness.test { client in
            let before = try await client.execute(uri: "/scenarios/05/hints", method: .get).text
            #expect(before.contains("run a check first"))
            #expect(!before.contains("Show next hint"))
            try await client.execute(uri: "/scenarios/05/hints", method: .post, headers: harness.headers, body: form("problem=same-work-again"))
            #expect(harness.entry("05").hintsShown == nil, "no hint is recorded before a check")
        }
        harness.progress.update("05") {
            $0.checks = 1
            $0.lastFindings = ["stale-after-write"]
            $0.lastCheckPassed = false
        }
        try await harness.test { client in
            let page = try await client.execute(uri: "/scenarios/05/hints", method: .get).text
            #expect(page.contains("data-problem=\"stale-after-write\""))
            #expect(!page.contains("data-problem=\"same-work-again\""), "Walking shows only what the check observed")
            // A problem the check did not observe gets no hint.
            try await client.execute(uri: "/scenarios/05/hints", method: .post, headers: harness.headers, body: form("problem=same-work-again"))
            #expect(harness.entry("05").hintsShown == nil)
            for level in 1...4 {
                let fragment = try await client.execute(
                    uri: "/scenarios/05/hints",
                    method: .post,
                    headers: harness.headers,
                    body: form("problem=stale-after-write")
                ).text
                #expect(fragment.contains("Hint \(min(level, 3)) of 3"))
                #expect(harness.entry("05").hintsShown == ["stale-after-write": min(level, 3)])
                #expect(fragment.contains("Show next hint") == (level < 3))
            }
            // A problem this scenario does not have is a bad request.
            try await client.execute(uri: "/scenarios/05/hints", method: .post, headers: harness.headers, body: form("problem=nope")) {
                #expect($0.status == .badRequest)
            }
        }
        // The command line's ladder sees the same record: it has nothing new to show for this problem.
        let problems = try ProblemCatalog.load(for: try Scenario.find("05", in: PanelHarness.repository))?.problems ?? []
        #expect(
            HintLadder.next(entry: harness.entry("05"), problems: problems)
                == .hints(problem: problems.first { $0.id == "stale-after-write" }!, level: 3, isNew: false)
        )
    }

    @Test("Crawling: every problem's hints up front, before any check")
    func crawlingHints() async throws {
        let harness = try await PanelHarness()
        let catalog = try ProblemCatalog.load(for: try Scenario.find("01", in: PanelHarness.repository))?.problems ?? []
        try await harness.test { client in
            let page = try await client.execute(uri: "/scenarios/01/hints", method: .get).text
            for problem in catalog { #expect(page.contains("data-problem=\"\(problem.id)\"")) }
            try await client.execute(uri: "/scenarios/01/hints", method: .post, headers: harness.headers, body: form("problem=\(catalog[0].id)"))
            #expect(harness.entry("01").hintsShown == [catalog[0].id: 1])
        }
    }

    @Test("the tier rules: one per tier of the curriculum, as the scaffolding principle says")
    func tierRules() throws {
        let rules = try TierRules.load(from: PanelHarness.repository.root.appendingPathComponent("Shared/Panel/tiers.json"))
        #expect(rules["Crawling"]?.hints == .upFront)
        #expect(rules["Walking"]?.hints == .afterCheck)
        #expect(rules["Running"]?.hints == .onRequest)
        #expect(rules["Sprinting"]?.hints == TierRules.Hints.none)
        for tier in Set((Curriculum.track1 + Curriculum.track2).map(\.tier)) { #expect(rules[tier] != nil, "\(tier)") }
    }

    @Test("the reference: hidden before a pass; giving up needs one check; then it opens, with server beside server-fixed and the database fix")
    func reveal() async throws {
        let harness = try await PanelHarness()
        try await harness.test { client in
            try await client.execute(uri: "/scenarios/01/reference", method: .get) { response in
                #expect(response.status == .forbidden)
                #expect(!response.text.contains("server-fixed/"))
            }
            let page = try await client.execute(uri: "/scenarios/01", method: .get).text
            #expect(page.contains("id=\"reference-locked\""))
            #expect(!page.contains("id=\"give-up\""), "no give-up before a check")
            try await client.execute(uri: "/scenarios/01/give-up", method: .post, headers: harness.headers) { #expect($0.status == .conflict) }
            #expect(harness.entry("01").gaveUp == nil)
        }
        harness.progress.update("01") { $0.checks = 1 }
        try await harness.test { client in
            #expect(try await client.execute(uri: "/scenarios/01", method: .get).text.contains("id=\"give-up\""))
            try await client.execute(uri: "/scenarios/01/give-up", method: .post, headers: harness.headers) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/scenarios/01/reference")
            }
            #expect(harness.entry("01").gaveUp != nil)
            try await client.execute(uri: "/scenarios/01/reference", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.text.contains("server-fixed"))
                #expect(response.text.contains("fix.sql: the database fix"))
                #expect(response.text.contains("class=\"changed\"") || response.text.contains("class=\"added\""))
            }
        }
        // A first pass opens it too.
        harness.progress.update("02") { $0.firstPass = Date() }
        try await harness.test { client in
            try await client.execute(uri: "/scenarios/02/reference", method: .get) { #expect($0.status == .ok) }
        }
    }
}
