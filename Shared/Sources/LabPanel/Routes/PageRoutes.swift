import Foundation
import HTTPTypes
import Hummingbird
import LabKit
import LoadTestKit

/// The pages: the track, a scenario (guide beside the live panel), the reference once unlocked.
extension Panel {
    func addPageRoutes(to router: Router<BasicRequestContext>) {
        router.get("/") { _, _ in self.trackPage() }
        router.get("/scenarios/:number") { _, context in try self.scenarioPage(try self.scenario(context)) }
        router.get("/scenarios/:number/reference") { _, context in try self.referencePage(try self.scenario(context)) }
    }

    func trackPage() -> Response {
        let progress = self.configuration.progress.load().progress
        let rows = LearnerTrack.rows(progress: progress, builtScenarios: self.scenarios())
        let next = LearnerTrack.next(rows)
        // Track 2 is not built yet: the same rows, every one locked.
        let track2 = Curriculum.track2.map {
            LearnerTrack.Row(number: String(format: "%02d", $0.number), title: $0.title, tier: $0.tier, state: .notBuilt, detail: "not built yet")
        }
        func tiers(_ rows: [LearnerTrack.Row]) -> [TrackView.Tier] {
            var tiers: [TrackView.Tier] = []
            for row in rows {
                let item = TrackView.Item(
                    number: row.number,
                    title: row.title,
                    symbol: row.state.symbol,
                    state: row.state.rawValue,
                    stateClass: row.state.rawValue.replacingOccurrences(of: " ", with: "-"),
                    detail: row.detail,
                    href: row.state == .notBuilt ? nil : "/scenarios/\(row.number)",
                    isNext: row.number == next?.number && row.state != .notBuilt
                )
                if tiers.last?.name == row.tier {
                    tiers[tiers.count - 1].items.append(item)
                } else {
                    tiers.append(.init(name: row.tier, items: [item]))
                }
            }
            return tiers
        }
        let view = TrackView(
            track1: tiers(rows),
            track2: tiers(track2),
            nextText: next.map { "Next: scenario \($0.number), \($0.title)." } ?? "Every scenario built so far is passed. More are on the way.",
            nextHref: next.map { "/scenarios/\($0.number)" }
        )
        return self.html(self.pages.page("track", title: "Your track", csrf: self.configuration.csrfToken, view))
    }

    func scenarioPage(_ scenario: Scenario) throws -> Response {
        let start = ContinuousClock.now
        let path = "\(scenario.folderName)/SCENARIO.md"
        guard let guide = self.guides.guide(at: scenario.file("SCENARIO.md"), path: path) else {
            return self.message("No guide", "\(path) is missing.", status: .notFound, link: ("/", "Back to the track"))
        }
        let rules = self.rules(for: scenario)
        let entry = self.progress(scenario)
        let view = ScenarioView(
            number: scenario.number,
            title: scenario.manifest.title,
            tier: Curriculum.tier(of: scenario.number) ?? "",
            promise: rules.promise,
            guideHTML: guide.html,
            steps: guide.steps.map { ScenarioView.Step(id: $0.id, title: $0.title) },
            targets: self.targetTexts(scenario),
            hintsHTML: self.hintsFragment(scenario, entry: entry),
            runsHTML: RunsChart.svg(history: entry.history ?? [], targets: scenario.manifest.targets),
            revealHTML: self.revealFragment(scenario, entry: entry),
            upCommand: "./lab up \(scenario.number)",
            csrf: self.configuration.csrfToken
        )
        var response = self.html(
            self.pages.page("scenario", title: "\(scenario.number) \(scenario.manifest.title)", csrf: self.configuration.csrfToken, view)
        )
        response.headers[HTTPField.Name("Server-Timing")!] = "render;dur=\(String(format: "%.1f", (ContinuousClock.now - start).milliseconds))"
        return response
    }

    /// lab.json's targets in words ("p99 ≤ 250 ms").
    func targetTexts(_ scenario: Scenario) -> [String] {
        let targets = scenario.manifest.targets
        var texts: [String] = []
        if let rate = targets.minSuccessRate { texts.append("success ≥ \(Self.number(rate))%") }
        if let p99 = targets.maxP99Milliseconds { texts.append("p99 ≤ \(Self.number(p99)) ms") }
        if let rps = targets.minRequestsPerSecond { texts.append("≥ \(Self.number(rps)) req/s") }
        return texts
    }

    static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }

    func referencePage(_ scenario: Scenario) throws -> Response {
        let entry = self.progress(scenario)
        guard entry.revealUnlocked else {
            return self.message(
                "The reference is not open yet",
                "It opens after your first ✓ PASS of scenario \(scenario.number), or when you give up after at least one check "
                    + "(the button is on the scenario's page). Trying first is what makes the reference worth reading.",
                status: .forbidden,
                link: ("/scenarios/\(scenario.number)", "Back to scenario \(scenario.number)")
            )
        }
        let solution = ReferenceSolution(scenario: scenario)
        let view = ReferenceView(
            number: scenario.number,
            title: scenario.manifest.title,
            how: entry.firstPass != nil
                ? "You passed this scenario: here is the reference to compare with."
                : "You gave up on this one: here is the reference. Try to make your own server pass with it in mind.",
            files: solution.files.map { file in
                // A file with nothing on the left (the database fix) is shown whole, not as a diff against nothing.
                let whole = file.rows.allSatisfy { $0.left == nil && $0.change != .folded }
                // Lines that differ only by a comment (or a blank line): the reference explains itself in
                // comments, so most of a diff is those; the page can hide them to show the code that differs.
                func commentOrBlank(_ line: String?) -> Bool {
                    let text = line?.trimmingCharacters(in: .whitespaces) ?? ""
                    return text.isEmpty || text.hasPrefix("//") || text.hasPrefix("--") || text.hasPrefix("#")
                }
                let changed = file.rows.filter { $0.change != .same && $0.change != .folded }
                let codeLines = changed.filter { !(commentOrBlank($0.left) && commentOrBlank($0.right)) }.count
                return ReferenceView.File(
                    title: file.title,
                    path: file.path,
                    whole: whole ? file.rows.compactMap(\.right).joined(separator: "\n") : nil,
                    identical: changed.isEmpty,
                    summary: changed.isEmpty
                        ? "Identical to yours."
                        : "\(codeLines) line\(codeLines == 1 ? "" : "s") of code differ; \(changed.count - codeLines) more differ only in comments or blank lines.",
                    rows: whole
                        ? []
                        : file.rows.map {
                            .init(
                                left: $0.left ?? "",
                                right: $0.right ?? "",
                                leftNumber: $0.leftNumber.map(String.init) ?? "",
                                rightNumber: $0.rightNumber.map(String.init) ?? "",
                                change: $0.change.rawValue,
                                folded: $0.change == .folded,
                                comment: $0.change != .same && $0.change != .folded && commentOrBlank($0.left) && commentOrBlank($0.right)
                            )
                        }
                )
            },
            sideBySide: entry.best.flatMap { best in entry.reference.map { LearnerCheckReport.sideBySide(yours: best, reference: $0) } }
        )
        return self.html(
            self.pages.page("reference", title: "Reference: \(scenario.number) \(scenario.manifest.title)", csrf: self.configuration.csrfToken, view)
        )
    }
}

struct TrackView {
    struct Item {
        var number: String
        var title: String
        var symbol: String
        var state: String
        var stateClass: String
        var detail: String
        var href: String?
        var isNext: Bool
    }
    struct Tier {
        var name: String
        var items: [Item]
    }
    var track1: [Tier]
    var track2: [Tier]
    var nextText: String
    var nextHref: String?
}

struct ScenarioView {
    struct Step {
        var id: String
        var title: String
    }
    var number: String
    var title: String
    var tier: String
    var promise: String
    var guideHTML: String
    var steps: [Step]
    var targets: [String]
    var hintsHTML: String
    var runsHTML: String
    var revealHTML: String
    var upCommand: String
    var csrf: String
}

struct ReferenceView {
    struct Row {
        var left: String
        var right: String
        var leftNumber: String
        var rightNumber: String
        var change: String
        var folded: Bool
        /// Differs only by a comment or a blank line.
        var comment: Bool
    }
    struct File {
        var title: String
        var path: String
        /// The whole file, when there is nothing to compare it with.
        var whole: String?
        var identical: Bool
        var summary: String
        var rows: [Row]
    }
    var number: String
    var title: String
    var how: String
    var files: [File]
    var sideBySide: String?
}

extension Duration {
    var milliseconds: Double { Double(self.components.seconds) * 1000 + Double(self.components.attoseconds) / 1e15 }
}
