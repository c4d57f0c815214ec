import Foundation

/// The learner's progress, kept on this machine in `.lab/progress.json` (ignored by git).
///
/// The file is plain JSON, read by the command line and the exercise panel alike; the format is documented in the README
/// ("Your progress") and versioned by ``version``:
///
/// ```json
/// {
///   "version": 1,
///   "scenarios": {
///     "01": {
///       "started": "2026-11-25T10:00:00Z",
///       "firstLoadTest": "2026-11-25T10:05:00Z",
///       "firstPass": "2026-11-25T10:40:00Z",
///       "checks": 3,
///       "best": {"requestsPerSecond": 1650, "p99Milliseconds": 88, "successRate": 100, "passed": true, "measuredAt": "..."},
///       "reference": {"requestsPerSecond": 1700, "p99Milliseconds": 80, "successRate": 100, "passed": true, "measuredAt": "..."},
///       "hintsShown": {"connection-per-request": 2},
///       "lastFindings": ["email-seq-scan"],
///       "lastCheckPassed": false,
///       "gaveUp": "2026-11-25T10:30:00Z",
///       "history": [{"requestsPerSecond": 40, "p99Milliseconds": 5000, "successRate": 61.2, "passed": false, "measuredAt": "..."}]
///     }
///   }
/// }
/// ```
/// Dates are ISO 8601 in UTC. Every field of a scenario is optional; scenarios never touched are absent.
public struct LearnerProgress: Codable, Sendable, Equatable {
    public static let currentVersion = 1
    public var version: Int = Self.currentVersion
    /// By scenario number (`"01"`).
    public var scenarios: [String: Scenario] = [:]

    public init() {}

    public struct Scenario: Codable, Sendable, Equatable {
        /// First `./lab up` / `start` / `watch` of the scenario.
        public var started: Date?
        /// First `./lab load` or `./lab check`.
        public var firstLoadTest: Date?
        /// First `./lab check` that passed on the learner's server.
        public var firstPass: Date?
        /// How many checks ran on the learner's server.
        public var checks: Int?
        /// The learner's best check: passing first, then by success rate, then by throughput
        /// (``Numbers/isBetter(than:)``).
        public var best: Numbers?
        /// The reference solution (server-fixed) measured by a passing `./lab check` on this machine.
        public var reference: Numbers?
        /// Problem id → the highest hint level shown (1 to 3).
        public var hintsShown: [String: Int]?
        /// Problem ids the last check observed, in the order `./lab hint` helps with them. Cleared when a
        /// check starts, so a check that stops with an error leaves no stale hint behind.
        public var lastFindings: [String]?
        /// Whether the last check of the learner's server passed (with ``lastFindings`` empty, a failed one
        /// missed a target without any known problem).
        public var lastCheckPassed: Bool?
        /// When the learner gave up and asked for the reference before passing (the panel allows it after at
        /// least one check). Like ``firstPass``, it unlocks the reveal.
        public var gaveUp: Date?
        /// Every check of the learner's server, oldest first (the last ``historyLimit``): the panel's chart of
        /// their runs over time.
        public var history: [Numbers]?

        public static let historyLimit = 100

        public init() {}

        /// The reference may be shown: after the first pass, or after giving up.
        public var revealUnlocked: Bool { self.firstPass != nil || self.gaveUp != nil }

        /// Adds one check to ``history``, keeping the last ``historyLimit``.
        public mutating func record(_ numbers: Numbers) {
            self.history = Array(((self.history ?? []) + [numbers]).suffix(Self.historyLimit))
        }

        enum CodingKeys: String, CodingKey {
            case started, firstLoadTest, firstPass, checks, best, reference, hintsShown, lastFindings, lastCheckPassed, gaveUp, history
        }

        /// Reads every field it can: one unreadable field (edited by hand, written by a newer lab) is dropped
        /// and named in ``ProgressStore/load()``'s warning, never the whole progress.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let dropped = decoder.userInfo[DroppedFields.key] as? DroppedFields
            func field<T: Decodable>(_ key: CodingKeys) -> T? {
                do {
                    return try container.decodeIfPresent(T.self, forKey: key)
                } catch {
                    dropped?.add(decoder.codingPath.map(\.stringValue).joined(separator: ".") + "." + key.stringValue)
                    return nil
                }
            }
            self.started = field(.started)
            self.firstLoadTest = field(.firstLoadTest)
            self.firstPass = field(.firstPass)
            self.checks = field(.checks)
            self.best = field(.best)
            self.reference = field(.reference)
            self.hintsShown = field(.hintsShown)
            self.lastFindings = field(.lastFindings)
            self.lastCheckPassed = field(.lastCheckPassed)
            self.gaveUp = field(.gaveUp)
            self.history = field(.history)
        }
    }

    /// The fields a lenient read had to drop, collected through the decoder's `userInfo`.
    final class DroppedFields: @unchecked Sendable {
        static let key = CodingUserInfoKey(rawValue: "droppedFields")!
        var names: [String] = []
        func add(_ name: String) { self.names.append(name) }
    }

    public struct Numbers: Codable, Sendable, Equatable {
        public var requestsPerSecond: Double
        public var p99Milliseconds: Double
        public var successRate: Double
        public var measuredAt: Date
        /// Whether that check passed (nil in files written before this was recorded).
        public var passed: Bool?
        /// More than 1% of the requests got no answer, so the p99 is "no answer" (``p99Milliseconds`` is then
        /// the timeout).
        public var p99Unanswered: Bool?

        public init(
            requestsPerSecond: Double,
            p99Milliseconds: Double,
            successRate: Double,
            measuredAt: Date,
            passed: Bool? = nil,
            p99Unanswered: Bool? = nil
        ) {
            self.requestsPerSecond = requestsPerSecond
            self.p99Milliseconds = p99Milliseconds
            self.successRate = successRate
            self.measuredAt = measuredAt
            self.passed = passed
            self.p99Unanswered = p99Unanswered
        }

        /// `88 ms`, or `no answer` when the p99 fell among requests that got none.
        public var p99Text: String {
            self.p99Unanswered == true ? "no answer" : "\(Int(self.p99Milliseconds.rounded())) ms"
        }

        /// Whether these numbers make a better "best" than `other`: a passing check beats a failing one, then
        /// the higher success rate, then the higher throughput (a fast run that failed half its requests is
        /// not a best).
        public func isBetter(than other: Numbers) -> Bool {
            let mine = (self.passed ?? false, self.successRate, self.requestsPerSecond)
            let theirs = (other.passed ?? false, other.successRate, other.requestsPerSecond)
            if mine.0 != theirs.0 { return mine.0 }
            if mine.1 != theirs.1 { return mine.1 > theirs.1 }
            return mine.2 > theirs.2
        }
    }
}

/// Reads and writes ``LearnerProgress``. A missing file is a fresh start; an unreadable one is moved aside
/// (`progress.json.unreadable`) with a message, and the learner starts fresh: progress never stops the lab.
public struct ProgressStore: Sendable {
    public let file: URL

    /// `.lab/progress.json`, or the file `LAB_PROGRESS_FILE` names: `./lab docs-check` runs the guides' commands
    /// (checks, hints) with a scratch file, so testing the documents never spends the learner's hints.
    public init(paths: LabPaths) {
        if let file = ProcessInfo.processInfo.environment[Self.fileVariable], !file.isEmpty {
            self.file = URL(fileURLWithPath: file)
        } else {
            self.file = paths.state.appendingPathComponent("progress.json")
        }
    }

    public static let fileVariable = "LAB_PROGRESS_FILE"

    public init(file: URL) {
        self.file = file
    }

    /// The progress, and a message for the learner when the file could not be read.
    public func load() -> (progress: LearnerProgress, warning: String?) {
        guard let data = FileManager.default.contents(atPath: self.file.path) else { return (LearnerProgress(), nil) }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let dropped = LearnerProgress.DroppedFields()
        decoder.userInfo[LearnerProgress.DroppedFields.key] = dropped
        let aside = self.file.appendingPathExtension("unreadable")
        if let progress = try? decoder.decode(LearnerProgress.self, from: data), progress.version <= LearnerProgress.currentVersion {
            guard !dropped.names.isEmpty else { return (progress, nil) }
            try? FileManager.default.removeItem(at: aside)
            try? FileManager.default.copyItem(at: self.file, to: aside)
            return (
                progress,
                "your progress file (\(self.file.path)) had fields that could not be read: \(dropped.names.sorted().joined(separator: ", ")). "
                    + "They were left out and everything else is kept; the file as it was is kept as \(aside.lastPathComponent)."
            )
        }
        try? FileManager.default.removeItem(at: aside)
        try? FileManager.default.moveItem(at: self.file, to: aside)
        return (
            LearnerProgress(),
            "your progress file (\(self.file.path)) could not be read, so progress starts fresh. The old file is kept as \(aside.lastPathComponent)."
        )
    }

    /// Writes the whole file atomically (a crash never leaves half a file).
    public func save(_ progress: LearnerProgress) throws {
        try FileManager.default.createDirectory(at: self.file.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(progress).write(to: self.file, options: .atomic)
    }

    /// Loads, changes scenario `number`'s entry, saves. Returns the load warning, if any. Never throws: a
    /// progress file that cannot be written must not break the command that records it.
    @discardableResult
    public func update(_ number: String, _ change: (inout LearnerProgress.Scenario) -> Void) -> String? {
        var (progress, warning) = self.load()
        var entry = progress.scenarios[number] ?? LearnerProgress.Scenario()
        change(&entry)
        progress.scenarios[number] = entry
        do {
            try self.save(progress)
        } catch {
            return (warning.map { $0 + " " } ?? "") + "Could not save progress to \(self.file.path): \(error)"
        }
        return warning
    }
}
