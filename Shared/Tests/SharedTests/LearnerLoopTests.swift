import Foundation
import LabKit
import LoadTestKit
import Testing

@Suite("The learner loop: checks.json, progress, the track, reset (no database)")
struct LearnerLoopTests {
    let paths: LabPaths

    init() throws {
        self.paths = try LabPaths.discover(from: URL(fileURLWithPath: #filePath))
    }

    func temporaryFolder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("lab-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("every scenario has a valid checks.json: ids unique, 3 hints each, one source and one condition")
    func everyScenarioHasChecks() throws {
        for folder in self.paths.scenarioFolders() {
            let scenario = try Scenario(folder: folder)
            let checks = try #require(try ProblemCatalog.load(for: scenario), "\(scenario.folderName) has no checks.json")
            #expect(!checks.problems.isEmpty)
        }
    }

    @Test("a checks.json with a mistake is rejected with the problem named")
    func invalidChecks() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(
            #"{"title": "t", "database": "d", "port": 1, "seed": {"schema": "s", "tables": []}, "load": {"users": 1, "durationSeconds": 1, "timeoutSeconds": 1, "requests": [], "parameters": {}}, "targets": {}}"#
                .utf8
        )
        .write(to: folder.appendingPathComponent("lab.json"))
        let scenario = try Scenario(folder: folder)
        let cases = [
            (
                #"{"problems": [{"id": "a", "title": "t", "found": "f", "hints": ["1", "2"], "observe": {"metric": {"name": "db_pool_max_connections"}, "above": 1}}]}"#,
                "exactly 3 hints"
            ),
            (
                #"{"problems": [{"id": "a", "title": "t", "found": "f", "hints": ["1", "2", "3"], "observe": {"metric": {"name": "db_pool_max_connections"}}}]}"#,
                "exactly one of above"
            ),
            (
                #"{"problems": [{"id": "a", "title": "t", "found": "f", "hints": ["1", "2", "3"], "observe": {"serverMetric": "poolSize", "above": 1}}]}"#,
                "exactly one of metric"
            ),
            (
                #"{"problems": [{"id": "a", "title": "t", "found": "f", "hints": ["1", "2", "3"], "observe": {"explain": "SELECT 1", "above": 1}}]}"#,
                "needs contains"
            ),
            (
                #"{"problems": [{"id": "a", "title": "t", "found": "f", "hints": ["1", "2", "3"], "observe": {"sql": "SELECT 1", "explain": "SELECT 1", "contains": "x"}}]}"#,
                "exactly one of metric"
            ),
            (
                #"{"problems": [{"id": "a", "title": "t", "found": "f", "hints": ["1", "2", "3"], "observe": {"journeyStep": "sign in › me", "above": 1}}]}"#,
                "no journey step 'sign in › me'"
            ),
        ]
        for (json, expected) in cases {
            try Data(json.utf8).write(to: folder.appendingPathComponent("checks.json"))
            do {
                _ = try ProblemCatalog.load(for: scenario)
                Issue.record("accepted: \(json)")
            } catch {
                #expect("\(error)".contains(expected), "\(error)")
            }
        }
    }

    @Test("progress survives a restart, and a missing or corrupted file starts fresh with a message, never a crash")
    func progressFile() throws {
        let folder = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = ProgressStore(file: folder.appendingPathComponent("progress.json"))
        // Missing: fresh, silently.
        let (fresh, noWarning) = store.load()
        #expect(fresh == LearnerProgress())
        #expect(noWarning == nil)
        // Written by one command, read by the next (a restart is a new process reading the file).
        let passedAt = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(
            store.update("01") {
                $0.firstPass = passedAt
                $0.hintsShown = ["connection-per-request": 2]
            } == nil
        )
        store.update("02") { $0.started = passedAt }
        let (reloaded, _) = ProgressStore(file: store.file).load()
        #expect(reloaded.scenarios["01"]?.firstPass == passedAt)
        #expect(reloaded.scenarios["01"]?.hintsShown == ["connection-per-request": 2])
        #expect(reloaded.scenarios["02"]?.started == passedAt)
        // The documented format: plain JSON with a version and ISO 8601 dates.
        let text = try String(contentsOf: store.file, encoding: .utf8)
        #expect(text.contains("\"version\" : 1"))
        #expect(text.contains("\"firstPass\" : \"2027-01-15T08:00:00Z\""))
        // Corrupted: moved aside, fresh progress, a message that says so.
        try Data("{ not json".utf8).write(to: store.file)
        let (afterCorruption, warning) = store.load()
        #expect(afterCorruption == LearnerProgress())
        #expect(warning?.contains("could not be read") == true)
        #expect(FileManager.default.fileExists(atPath: store.file.appendingPathExtension("unreadable").path))
        // And the next update works on the fresh state.
        store.update("03") { $0.checks = 1 }
        #expect(store.load().progress.scenarios.keys.sorted() == ["03"])
    }

    @Test("the track shows passed, started, not started and not-built scenarios, and suggests the next one")
    func track() throws {
        let built = try self.paths.scenarioFolders().map(Scenario.init(folder:))
        var progress = LearnerProgress()
        var first = LearnerProgress.Scenario()
        first.firstPass = Date(timeIntervalSince1970: 1_800_000_000)
        first.best = .init(requestsPerSecond: 1650.4, p99Milliseconds: 88.2, successRate: 100, measuredAt: Date())
        progress.scenarios["01"] = first
        var second = LearnerProgress.Scenario()
        second.started = Date()
        second.checks = 2
        second.hintsShown = ["a": 2, "b": 1]
        progress.scenarios["02"] = second
        let text = LearnerTrack.render(progress: progress, builtScenarios: built)
        #expect(text.contains("✓ 01 Single server + database"))
        #expect(text.contains("passed 2027-01-15, best 1650 req/s, p99 88 ms"))
        #expect(text.contains("… 02 Indexes and slow queries"))
        #expect(text.contains("started, 2 checks, 3 hints used"))
        #expect(text.contains("🔒 14 Chat system"))
        #expect(text.contains("Next: carry on with scenario 02"))
        #expect(LearnerTrack.render(progress: LearnerProgress(), builtScenarios: built).contains("Next: scenario 01"))
    }

    @Test("reset restores one scenario's Sources from git and touches nothing else")
    func sourceReset() throws {
        let root = try self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        func git(_ arguments: String...) throws {
            let output = try Shell.capture(["git", "-C", root.path] + arguments)
            #expect(output.status == 0, "git \(arguments): \(output.text)")
        }
        func write(_ path: String, _ text: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        func read(_ path: String) -> String? { try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8) }
        try git("init", "-q")
        try git("config", "user.email", "t@example.com")
        try git("config", "user.name", "t")
        for folder in ["scenario-01-x", "scenario-02-y"] {
            try self.copyLabJSON(to: root.appendingPathComponent(folder))
            try write("\(folder)/Sources/server/App.swift", "naive \(folder)\n")
        }
        try write("Shared/Package.swift", "// shared\n")
        try write("notes.txt", "mine\n")
        try git("add", "-A")
        try git("commit", "-qm", "start")
        // The learner edits, adds and deletes files in scenario 01, and edits other things too.
        try write("scenario-01-x/Sources/server/App.swift", "learner's fix\n")
        try write("scenario-01-x/Sources/server/Pool.swift", "new file\n")
        try write("scenario-02-y/Sources/server/App.swift", "work in 02\n")
        try write("notes.txt", "my notes\n")

        let paths = try LabPaths.discover(from: root.appendingPathComponent("scenario-01-x"))
        let reset = SourceReset(paths: paths, scenario: try Scenario.find("01", in: paths))
        #expect(try reset.changes().count == 2)
        try reset.restore()
        #expect(try reset.changes().isEmpty)
        #expect(read("scenario-01-x/Sources/server/App.swift") == "naive scenario-01-x\n")
        #expect(read("scenario-01-x/Sources/server/Pool.swift") == nil)
        #expect(read("scenario-02-y/Sources/server/App.swift") == "work in 02\n")
        #expect(read("notes.txt") == "my notes\n")
    }

    @Test("reset also restores the load balancer's configuration of a scenario that has one")
    func resetRestoresLoadBalancerConfiguration() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("reset-lb-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        func write(_ path: String, _ text: String) throws {
            let file = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: file, atomically: true, encoding: .utf8)
        }
        func git(_ arguments: String...) throws { try Shell.checked(["git", "-C", root.path] + arguments) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try git("init", "-q")
        try git("config", "user.email", "t@example.com")
        try git("config", "user.name", "t")
        let scenario04 = try Scenario.find("04", in: self.paths)
        try FileManager.default.createDirectory(at: root.appendingPathComponent("scenario-04-x"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: scenario04.file("lab.json"), to: root.appendingPathComponent("scenario-04-x/lab.json"))
        try write("scenario-04-x/Sources/server/App.swift", "naive\n")
        try write("scenario-04-x/nginx.conf", "round robin\n")
        try write("Shared/Package.swift", "// shared\n")
        try git("add", "-A")
        try git("commit", "-qm", "start")
        try write("scenario-04-x/nginx.conf", "ip_hash;\n")

        let paths = try LabPaths.discover(from: root.appendingPathComponent("scenario-04-x"))
        let reset = SourceReset(paths: paths, scenario: try Scenario.find("04", in: paths))
        #expect(reset.description == "scenario-04-x/Sources and nginx.conf")
        #expect(try reset.changes().count == 1)
        try reset.restore()
        #expect(try String(contentsOf: root.appendingPathComponent("scenario-04-x/nginx.conf"), encoding: .utf8) == "round robin\n")
    }

    func copyLabJSON(to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let source = self.paths.scenarioFolders()[0].appendingPathComponent("lab.json")
        try FileManager.default.copyItem(at: source, to: folder.appendingPathComponent("lab.json"))
    }

    @Test("the verdict lists each target with its number and each finding with the next hint level")
    func report() throws {
        let scenario = try Scenario.find("01", in: self.paths)
        let latency = #"{"p50": 100, "p90": 2000, "p99": 4000, "p999": 4500, "max": 5000, "mean": 900}"#
        let counts =
            #"{"sent": 1000, "succeeded": 1000, "timeouts": 0, "connectionErrors": 0, "httpErrors": {}, "requestsPerSecond": 50, "latency": "#
            + latency + "}"
        let json =
            #"{"url": "http://127.0.0.1:8080", "users": 100, "durationSeconds": 20, "timeoutSeconds": 5, "elapsedSeconds": 20, "endpoints": [], "totals": "#
            + counts + "}"
        let result = try JSONDecoder().decode(LoadResult.self, from: Data(json.utf8))
        let problem = try #require(try ProblemCatalog.load(for: scenario)?.problems.first)
        let outcome = LearnerCheck.Outcome(
            result: result,
            server: nil,
            targetsMet: false,
            findings: [.init(problem: problem, observed: "1.00", message: "opened 1.00 per request")]
        )
        let text = LearnerCheckReport.render(outcome, scenario: scenario, hintsShown: [problem.id: 1])
        #expect(text.contains("✗ throughput ≥ 500 req/s"))
        #expect(text.contains("measured 50 req/s"))
        #expect(text.contains("✓ success rate ≥ 99.9%"))
        #expect(text.contains("opened 1.00 per request"))
        #expect(text.contains("./lab hint 01 gives hint 2 of 3"))
        #expect(text.contains("✗ NOT YET"))
        #expect(!outcome.passed)
    }
}
