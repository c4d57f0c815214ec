import Foundation
import HTTPTypes
import Hummingbird
import LabKit

/// Hints and the reveal: the same ladder and progress records as `./lab hint`, and the panel's rule for when
/// the reference may be read.
extension Panel {
    func addLearnerRoutes(to router: Router<BasicRequestContext>) {
        router.get("/scenarios/:number/hints") { _, context in
            let scenario = try self.scenario(context)
            return self.html(self.hintsFragment(scenario, entry: self.progress(scenario)))
        }
        router.post("/scenarios/:number/hints") { request, context in
            let scenario = try self.scenario(context)
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 64 * 1024)))
            let problems = try ProblemCatalog.load(for: scenario)?.problems ?? []
            let rules = self.rules(for: scenario)
            guard rules.hints != .none else {
                throw HTTPError(.forbidden, message: "The \(Curriculum.tier(of: scenario.number) ?? "") tier gives no hints.")
            }
            guard let id = form["problem"], problems.contains(where: { $0.id == id }) else {
                throw HTTPError(.badRequest, message: "Which problem? The form names none this scenario knows.")
            }
            var entry = self.progress(scenario)
            if case .hints(let problem, let level, _) = HintLadder.next(
                entry: entry,
                problems: problems,
                problemID: id,
                observedOnly: rules.hints != .upFront
            ) {
                self.configuration.progress.update(scenario.number) { HintLadder.record(level: level, of: problem.id, in: &$0) }
                HintLadder.record(level: level, of: problem.id, in: &entry)
            }
            if self.fromScript(request) { return self.html(self.hintsFragment(scenario, entry: entry)) }
            return self.redirect("/scenarios/\(scenario.number)#hints")
        }
        router.post("/scenarios/:number/give-up") { request, context in
            let scenario = try self.scenario(context)
            let entry = self.progress(scenario)
            guard entry.revealUnlocked || (entry.checks ?? 0) >= 1 else {
                return self.message(
                    "Check first",
                    "Giving up opens after at least one check of your own server: run it, read what it observed, try a hint.",
                    status: .conflict,
                    link: ("/scenarios/\(scenario.number)", "Back to scenario \(scenario.number)")
                )
            }
            self.configuration.progress.update(scenario.number) { $0.gaveUp = $0.gaveUp ?? Date() }
            return self.redirect("/scenarios/\(scenario.number)/reference")
        }
    }

    /// The hints box, as the tier's rules say.
    func hintsFragment(_ scenario: Scenario, entry: LearnerProgress.Scenario) -> String {
        let rules = self.rules(for: scenario)
        let problems = (try? ProblemCatalog.load(for: scenario)?.problems) ?? []
        let observed = entry.lastFindings ?? []
        // Running folds hints away; Crawling offers them up front, folded until the first check so that the
        // guide's own questions ("what are the two problems?") are not answered beside them.
        let folded = rules.hints == .onRequest || (rules.hints == .upFront && entry.lastFindings == nil)
        var view = HintsView(
            number: scenario.number,
            csrf: self.configuration.csrfToken,
            problems: [],
            note: nil,
            folded: folded,
            foldLabel: rules.hints == .upFront
                ? "The problems this scenario has, and their hints: open when you want them"
                : "I'm stuck: show the hints for what the check observed"
        )
        switch rules.hints {
        case .none:
            view.note = "No hints in this tier: the check says what is missed, and the rest is yours."
        case .upFront:
            view.problems = problems.map { self.hintsItem($0, entry: entry, observed: observed.contains($0.id)) }
            if entry.lastFindings == nil {
                view.note = "These are every problem the check knows for this scenario. A check shows which ones your server has."
            }
        case .afterCheck, .onRequest:
            if entry.lastFindings == nil {
                view.note = "Hints open for what a check observes on your server: run a check first."
            } else if observed.isEmpty {
                view.note =
                    entry.lastCheckPassed == true
                    ? "Your last check passed: nothing left to hint."
                    : "Your last check missed a target without any problem it knows about: its output says what the failed requests answered."
            }
            view.problems = observed.compactMap { id in problems.first { $0.id == id } }.map { self.hintsItem($0, entry: entry, observed: true) }
        }
        return self.pages.fragment("hints", view)
    }

    private func hintsItem(_ problem: ProblemCatalog.Problem, entry: LearnerProgress.Scenario, observed: Bool) -> HintsView.Problem {
        let shown = min(entry.hintsShown?[problem.id] ?? 0, problem.hints.count)
        return HintsView.Problem(
            id: problem.id,
            title: problem.title,
            observed: observed,
            hints: HintsView.Hint.seen(problem, levels: shown),
            nextLevel: shown < 3 ? shown + 1 : nil
        )
    }

    /// The reveal box: a link once unlocked, a give-up button after a check, or the rule.
    func revealFragment(_ scenario: Scenario, entry: LearnerProgress.Scenario) -> String {
        let view = RevealView(
            number: scenario.number,
            csrf: self.configuration.csrfToken,
            unlocked: entry.revealUnlocked,
            passed: entry.firstPass != nil,
            canGiveUp: !entry.revealUnlocked && (entry.checks ?? 0) >= 1
        )
        return self.pages.fragment("reveal", view)
    }
}

struct HintsView {
    struct Hint {
        var level: Int
        var name: String
        var textHTML: String

        /// Hints 1 to `levels` of `problem` (no more than it has), as the panel shows them.
        static func seen(_ problem: ProblemCatalog.Problem, levels: Int) -> [Hint] {
            (0..<min(levels, problem.hints.count)).map {
                Hint(level: $0 + 1, name: HintLadder.levelNames[$0], textHTML: InlineText.html(problem.hints[$0]))
            }
        }
    }
    struct Problem {
        var id: String
        var title: String
        var observed: Bool
        var hints: [Hint]
        var nextLevel: Int?
    }
    var number: String
    var csrf: String
    var problems: [Problem]
    var note: String?
    var folded: Bool
    var foldLabel: String
}

struct RevealView {
    var number: String
    var csrf: String
    var unlocked: Bool
    var passed: Bool
    var canGiveUp: Bool
}
