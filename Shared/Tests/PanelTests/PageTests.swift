import Foundation
import HTTPTypes
import HummingbirdTesting
import LabKit
import LabPanel
import LoadTestKit
import Testing

@Suite("Panel pages: the track, every scenario's guide, the documents they link to")
struct PageTests {
    @Test("the track lists Track 1 by tier with the learner's state, Track 2, and what is next")
    func track() async throws {
        var progress = LearnerProgress()
        progress.scenarios["01"] = .init()
        progress.scenarios["01"]!.firstPass = Date()
        progress.scenarios["01"]!.best = .init(requestsPerSecond: 1650, p99Milliseconds: 88, successRate: 100, measuredAt: Date(), passed: true)
        progress.scenarios["02"] = .init()
        progress.scenarios["02"]!.started = Date()
        let harness = try await PanelHarness(progress: progress)
        try await harness.test { client in
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                let page = response.text
                for tier in ["Crawling", "Walking", "Running", "Sprinting"] { #expect(page.contains("<h3>\(tier)</h3>")) }
                #expect(page.contains("Track 2: from mid to senior"))
                #expect(page.contains("best 1650 req/s, p99 88 ms"))
                #expect(page.contains("class=\"scenario passed\""))
                #expect(page.contains("Next: scenario 02"))
                #expect(page.contains("href=\"/scenarios/05\""))
                // Not built: no link.
                #expect(!page.contains("href=\"/scenarios/14\""))
            }
        }
    }

    @Test("every scenario's guide renders: steps, code with a copy button, diagrams and links into the repository, no stray Markdown")
    func everyGuide() async throws {
        let harness = try await PanelHarness()
        let scenarios = PanelHarness.repository.scenarioFolders()
        #expect(scenarios.count >= 5)
        for folder in scenarios {
            let number = String(folder.lastPathComponent.dropFirst("scenario-".count).prefix(2))
            try await harness.test { client in
                try await client.execute(uri: "/scenarios/\(number)", method: .get) { response in
                    #expect(response.status == .ok, "scenario \(number)")
                    let page = response.text
                    #expect(page.contains("<nav class=\"steps\""), "scenario \(number) has its steps outlined")
                    #expect(page.contains("<button type=\"button\" class=\"copy\""), "scenario \(number)'s code blocks have Copy")
                    #expect(page.contains("<table>"), "scenario \(number)'s tables render")
                    #expect(!page.contains("```"), "scenario \(number): a code fence was left as text")
                    #expect(!page.contains("src=\"diagrams/"), "scenario \(number): an image still points outside /repo")
                    let timing = response.headers[HTTPField.Name("Server-Timing")!] ?? ""
                    let milliseconds = Double(timing.split(separator: "=").last ?? "") ?? .infinity
                    // The target is 50 ms (measured in the closing note); here only a bound no machine misses.
                    #expect(milliseconds < 1000, "scenario \(number) rendered in \(milliseconds) ms")
                    print("PANEL RENDER scenario \(number): \(milliseconds) ms")
                }
                // Every diagram the guide shows is served, as SVG.
                let page = try await client.execute(uri: "/scenarios/\(number)", method: .get).text
                for image in Self.attributes("src", in: page) where image.hasPrefix("/repo/") {
                    try await client.execute(uri: image, method: .get) { response in
                        #expect(response.status == .ok, "\(image)")
                        #expect(response.headers[.contentType] == "image/svg+xml", "\(image)")
                    }
                }
                // Every relative link of the guide leads somewhere the panel serves.
                for link in Self.attributes("href", in: page) where link.hasPrefix("/repo/") {
                    let path = String(link.split(separator: "#").first ?? "")
                    try await client.execute(uri: path, method: .get) { response in
                        #expect(response.status == .ok || response.status == .seeOther, "scenario \(number) links to \(link)")
                    }
                }
            }
        }
    }

    @Test("Markdown the guides use: <details> with Markdown inside, lines that start with code, heading ids")
    func markdown() {
        let markdown = """
            # Title

            ## 1. First step

            A paragraph that wraps before
            `inline code`, and goes on.

            <details>
            <summary>**Answer**</summary>

            Inside: **bold** and a [link](../README.md#top).

            </details>

            ## 1. First step

            - **Failed** is split
              by kind:
              - *timed out*: no answer;
            - **p50** comes after, at the top level again
            3. numbered from three
            """
        let guide = GuideRenderer().render(markdown: markdown, path: "scenario-01-single-server/SCENARIO.md")
        #expect(guide.title == "Title")
        #expect(guide.steps.map(\.id) == ["1-first-step", "1-first-step-1"])
        #expect(guide.steps.map(\.title) == ["1. First step", "1. First step"])
        #expect(guide.html.contains("before <code>inline code</code>, and goes on."))
        #expect(guide.html.contains("<summary><strong>Answer</strong></summary>"))
        #expect(guide.html.contains("<strong>bold</strong>"))
        #expect(guide.html.contains("href=\"/repo/README.md#top\""))
        // Nested lists nest (Ink alone would put the second top-level item inside the nested list), a wrapped item
        // is one item, and a numbered list keeps its first number.
        #expect(
            guide.html.contains(
                "<ul><li><strong>Failed</strong> is split by kind:<ul><li><em>timed out</em>: no answer;</li></ul></li>"
                    + "<li><strong>p50</strong> comes after, at the top level again</li></ul>"
            )
        )
        #expect(guide.html.contains("<ol start=\"3\"><li>numbered from three</li></ol>"))
    }

    static func attributes(_ name: String, in html: String) -> [String] {
        var values: [String] = []
        var rest = html[...]
        while let range = rest.range(of: "\(name)=\"") {
            rest = rest[range.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { break }
            values.append(String(rest[..<end]))
            rest = rest[end...]
        }
        return values
    }
}
