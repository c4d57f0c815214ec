import Foundation

/// Which hint comes next, for `./lab hint` and the panel's "Show next hint" alike: three levels per problem
/// (where to look, which concept, the shape of the fix), for the first problem the last check observed, each
/// level shown recorded in progress so that neither front end shows it as new again.
public enum HintLadder {
    public static let levelNames = ["where to look", "which concept", "the shape of the fix"]

    /// What the ladder has to say for a scenario's progress entry.
    public enum Step: Sendable, Equatable {
        /// No check yet (or the last one stopped with an error): hints are chosen from what a check observes.
        case needsCheck
        /// The last check passed: nothing left to hint.
        case passed
        /// A target was missed without any known problem: no hint exists for it.
        case noKnownProblem
        /// Hints `1...level` of `problem`; `isNew` when `level` was not shown before.
        case hints(problem: ProblemCatalog.Problem, level: Int, isNew: Bool)

        public static func == (lhs: Step, rhs: Step) -> Bool {
            switch (lhs, rhs) {
            case (.needsCheck, .needsCheck), (.passed, .passed), (.noKnownProblem, .noKnownProblem): true
            case let (.hints(a, la, na), .hints(b, lb, nb)): a.id == b.id && la == lb && na == nb
            default: false
            }
        }
    }

    /// The next hint for `problemID` (or for the first problem the last check observed), or with `again`, every
    /// hint already seen without a new one.
    /// - Parameter observedOnly: hints only for what the last check observed (the command line, and the panel
    ///   from the Walking tier on); false lets the panel of a Crawling scenario offer every problem's hints up front.
    public static func next(
        entry: LearnerProgress.Scenario,
        problems: [ProblemCatalog.Problem],
        problemID: String? = nil,
        again: Bool = false,
        observedOnly: Bool = true
    ) -> Step {
        let findings = entry.lastFindings
        if observedOnly {
            guard let findings else { return .needsCheck }
            if let problemID, !findings.contains(problemID) { return .noKnownProblem }
        }
        let candidates = problemID.map { [$0] } ?? findings ?? []
        if candidates.isEmpty && findings == nil { return .needsCheck }
        guard let problem = candidates.lazy.compactMap({ id in problems.first { $0.id == id } }).first else {
            return entry.lastCheckPassed == true && problemID == nil ? .passed : .noKnownProblem
        }
        let shown = entry.hintsShown?[problem.id] ?? 0
        let level = again ? max(shown, 1) : min(shown + 1, 3)
        return .hints(problem: problem, level: level, isNew: level > shown)
    }

    /// Records that hints up to `level` of `problemID` were shown.
    public static func record(level: Int, of problemID: String, in entry: inout LearnerProgress.Scenario) {
        var hints = entry.hintsShown ?? [:]
        hints[problemID] = max(hints[problemID] ?? 0, level)
        entry.hintsShown = hints
    }
}
