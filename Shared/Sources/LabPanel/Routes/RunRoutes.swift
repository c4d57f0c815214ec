import Foundation
import HTTPTypes
import Hummingbird
import LabKit
import NIOCore

/// Running a check or a load from the panel, streaming its output, and what runs right now.
extension Panel {
    func addRunRoutes(to router: Router<BasicRequestContext>) {
        router.post("/scenarios/:number/runs") { request, context in
            let scenario = try self.scenario(context)
            let form = FormFields(String(buffer: try await request.body.collect(upTo: 64 * 1024)))
            guard let kind = form["kind"].flatMap(PanelRun.Kind.init(rawValue:)) else {
                throw HTTPError(.badRequest, message: "Run what? kind must be check or load.")
            }
            do {
                let run = try await self.runs.start(kind, scenario: scenario)
                return try self.json(RunState(run), status: .accepted)
            } catch let busy as RunCoordinator.RunInProgress {
                let what = "a \(busy.run.kind.rawValue) of scenario \(busy.run.scenario.number)"
                return try self.json(
                    RunState(busy.run, refusal: "A run is in progress (\(what)): wait for it to finish, one run at a time keeps the numbers honest."),
                    status: .conflict
                )
            }
        }
        router.get("/runs/:id/events") { request, context in
            guard let id = context.parameters.get("id", as: Int.self), let run = await self.runs.run(id) else {
                throw HTTPError(.notFound, message: "No such run.")
            }
            return self.events(run)
        }
        router.get("/scenarios/:number/result") { _, context in
            let scenario = try self.scenario(context)
            return self.html(await self.resultFragment(scenario))
        }
        router.get("/scenarios/:number/status.json") { _, context in
            let scenario = try self.scenario(context)
            return try self.json(await self.status(scenario))
        }
        router.get("/scenarios/:number/live.json") { _, context in
            let scenario = try self.scenario(context)
            return try self.json(LiveView(graphs: await self.sampler.graphs(for: scenario)))
        }
    }

    func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value)))
        )
    }

    /// Server-sent events: each line of the run's output as one `data:` event, then `event: done` with the exit
    /// status. The stream reads the output file as it grows, so a browser that connects late still gets it all.
    func events(_ run: PanelRun) -> Response {
        let runs = self.runs
        let body = ResponseBody { writer in
            var offset: UInt64 = 0
            var pending = ""
            while true {
                let finished = await runs.run(run.id)?.finished ?? true
                if let handle = FileHandle(forReadingAtPath: run.output.path) {
                    try? handle.seek(toOffset: offset)
                    let data = handle.readDataToEndOfFile()
                    try? handle.close()
                    offset += UInt64(data.count)
                    pending += String(decoding: data, as: UTF8.self)
                }
                // Whole lines only; the unfinished tail waits for the next read, unless the run is over.
                var lines = pending.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                pending = lines.removeLast()
                if finished && !pending.isEmpty {
                    lines.append(pending)
                    pending = ""
                }
                var chunk = ""
                for line in lines {
                    // A line may hold a carriage return (a progress line redrawn): the last drawing is what shows.
                    let shown = line.split(separator: "\r").last.map(String.init) ?? ""
                    chunk += "data: \(shown)\n\n"
                }
                if !chunk.isEmpty { try await writer.write(ByteBuffer(string: chunk)) }
                if finished {
                    let status = await runs.run(run.id)?.exitStatus ?? -1
                    try await writer.write(ByteBuffer(string: "event: done\ndata: \(status)\n\n"))
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"],
            body: body
        )
    }

    /// The last run's verdict: target cards, and for a check the problems it observed.
    func resultFragment(_ scenario: Scenario) async -> String {
        guard let run = await self.runs.latest(for: scenario.number) else {
            return self.pages.fragment("result", ResultView(empty: true))
        }
        var view = ResultView(
            number: scenario.number,
            csrf: self.configuration.csrfToken,
            empty: false,
            kind: run.kind.rawValue,
            running: !run.finished
        )
        switch run.outcome() {
        case .check(let summary):
            view.cards = summary.targets.map(ResultView.Card.init)
            view.verdict = summary.passed ? "✓ PASS" : "✗ NOT YET"
            view.passed = summary.passed
            view.reference = summary.program == "server-fixed"
            // Each problem observed offers its next hint where the tier allows hints after a check (Running
            // keeps them folded in the Hints box; Sprinting has none). The reference's run is not the learner's.
            let rules = self.rules(for: scenario)
            let offersHints = (rules.hints == .upFront || rules.hints == .afterCheck) && summary.program != "server-fixed"
            let shown = self.progress(scenario).hintsShown ?? [:]
            let problems = (try? ProblemCatalog.load(for: scenario)?.problems) ?? []
            view.findings = summary.findings.map { finding in
                let seen = shown[finding.id] ?? 0
                let problem = problems.first { $0.id == finding.id }
                return .init(
                    id: finding.id,
                    title: finding.title,
                    messageHTML: InlineText.html(finding.message),
                    hints: offersHints ? problem.map { HintsView.Hint.seen($0, levels: seen) } ?? [] : [],
                    nextLevel: offersHints && seen < 3 ? seen + 1 : nil
                )
            }
            view.notes = summary.notes
        case .load(let cards, let passed):
            view.cards = cards.map(ResultView.Card.init)
            let missed = cards.filter { !$0.met }.count
            view.verdict = passed ? "every target met" : "\(missed) of \(cards.count) target\(cards.count == 1 ? "" : "s") missed"
            view.passed = passed
        case nil:
            if run.finished {
                view.failed = "The \(run.kind.rawValue) stopped before a verdict (exit \(run.exitStatus ?? -1)): its output above says why."
            }
        }
        return self.pages.fragment("result", view)
    }

    func status(_ scenario: Scenario) async -> StatusView {
        let state = self.configuration.serverState(scenario)
        let answers = ServerProcess.healthStatus(port: scenario.manifest.port) == 200
        let services = (try? ScenarioServices(scenario: scenario, paths: self.configuration.paths).statusLines()) ?? []
        let current = await self.runs.current()
        let last = await self.runs.latest(for: scenario.number)
        return StatusView(
            server: state ?? (answers ? "something answers on \(scenario.serverURL), not started by the lab" : "no server running"),
            healthy: answers,
            services: services,
            run: current.map { RunState($0) },
            last: last.map { RunState($0) }
        )
    }
}

struct RunState: Encodable {
    var id: Int
    var kind: String
    var scenario: String
    var finished: Bool
    /// Where the output is kept (`.lab/panel/run-3.log`), and the load's results for `./lab compare`.
    var log: String
    var results: String
    var refusal: String?

    init(_ run: PanelRun, refusal: String? = nil) {
        self.id = run.id
        self.kind = run.kind.rawValue
        self.scenario = run.scenario.number
        self.finished = run.finished
        let root = run.scenario.folder.deletingLastPathComponent().standardizedFileURL.path + "/"
        func shown(_ url: URL) -> String {
            let path = url.standardizedFileURL.path
            return path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
        }
        self.log = shown(run.output)
        self.results = shown(run.verdict)
        self.refusal = refusal
    }
}

struct StatusView: Encodable {
    var server: String
    var healthy: Bool
    var services: [String]
    var run: RunState?
    /// This scenario's latest run (the page shows its output again after a reload).
    var last: RunState?
}

struct LiveView: Encodable {
    var graphs: [LiveSampler.Graph]
}

struct ResultView {
    struct Card {
        var label: String
        var measured: String
        var met: Bool
        init(_ card: LearnerCheckReport.TargetCard) {
            (self.label, self.measured, self.met) = (card.label, card.measured, card.met)
        }
    }
    struct Finding {
        var id: String
        var title: String
        var messageHTML: String
        /// The hints seen so far, shown where the learner asked for them.
        var hints: [HintsView.Hint]
        /// The next hint level to offer, or nil (all seen, or no hints here).
        var nextLevel: Int?
    }
    var number: String = ""
    var csrf: String = ""
    var empty: Bool
    var kind: String = ""
    var running: Bool = false
    var cards: [Card] = []
    var verdict: String?
    var passed: Bool = false
    var reference: Bool = false
    var findings: [Finding] = []
    var notes: [String] = []
    var failed: String?
}
