import AsyncHTTPClient
import Foundation
import LoadTestKit
import NIOCore
import NIOHTTP1

/// Sends every request of a scenario's standard load again, each time with one bad value in place of a good
/// one (a NUL byte, an empty string, 10,000 characters, a number too big for any integer, SQL, a path
/// traversal...) or a whole bad body, and reports every answer a user should never get.
///
/// A server must answer bad input with a 4xx and a message, store nothing, and keep running: a 500 is a bug
/// (the error was not expected), no answer is worse (the instance crashed). For journeys, the steps before
/// the one under test are sent as written first (logging in, capturing ids), so steps behind a login are
/// tested with a real session.
public struct BadInputCorpus: Sendable {
    public let scenario: Scenario
    public let database: LabDatabase

    public init(scenario: Scenario, database: LabDatabase) {
        self.scenario = scenario
        self.database = database
    }

    /// Bad values, each sent in place of one placeholder's good value.
    static let values: [(label: String, value: String)] = [
        ("a NUL byte", "ab\u{0}cd"),
        ("an empty value", ""),
        ("10,000 characters", String(repeating: "x", count: 10_000)),
        ("a negative number", "-1"),
        ("zero", "0"),
        ("a number too big for any integer", "99999999999999999999999"),
        ("not a number", "abc"),
        ("SQL", "' OR 1=1; DROP TABLE users; --"),
        ("accents and emoji", "Zoë 😀"),
        ("a path traversal", "../../../../etc/passwd"),
        ("control characters", "a\u{1}\u{7}\u{1b}[2Jb"),
    ]

    /// Whole bodies sent instead of a request's own.
    static let bodies: [(label: String, body: String)] = [
        ("no body", ""),
        ("broken JSON", "{\"a\": "),
        ("JSON null", "null"),
        ("a JSON array", "[]"),
        ("other fields", "{\"unexpected\": true}"),
        ("100 KB of text", String(repeating: "a", count: 100_000)),
        ("active content", "<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"><script>alert(2)</script></svg>"),
    ]

    /// One answer a user should never get.
    public struct Finding: Sendable, CustomStringConvertible {
        public var request: String
        public var input: String
        public var problem: String
        public var description: String { "\(self.request) with \(self.input): \(self.problem)" }
    }

    public struct Report: Sendable {
        public var sent = 0
        public var rejected = 0
        /// Answered as a valid request (2xx, or the 4xx the step expects anyway, such as a wrong password's 401):
        /// input that is harmless there, like odd characters in a search term or a display name.
        public var accepted = 0
        public var findings: [Finding] = []
        /// Steps that could not be reached because a step before them failed (tested without a session).
        public var notes: [String] = []

        public func render(product: String) -> String {
            var lines = [
                "\(product): \(self.sent) requests with bad input: \(self.rejected) refused with a 4xx and a message, \(self.accepted) accepted "
                    + "as harmless (odd text in a search or a name), "
                    + (self.findings.isEmpty ? "✓ no 5xx, no silence, nothing stored by a refused request" : "✗ \(self.findings.count) problem(s)")
            ]
            lines += self.findings.map { "  ✗ \($0)" }
            lines += self.notes.map { "  note: \($0)" }
            return lines.joined(separator: "\n")
        }
    }

    /// One request to send: method, path and body as they go on the wire.
    struct Probe {
        var name: String
        var method: String
        var path: String
        var body: String?
        var contentType: String
    }

    /// Runs the corpus against the server answering on the scenario's port.
    public func run() async throws -> Report {
        let plan = try await self.scenario.loadPlan(database: self.database)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(timeout: .init(connect: .seconds(2), read: .seconds(10))))
        do {
            let report = try await self.run(plan, client: client)
            try await client.shutdown()
            return report
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func run(_ plan: LoadPlan, client: HTTPClient) async throws -> Report {
        var session = Session(client: client, base: self.scenario.serverURL, parameters: plan.parameters)
        var report = Report()
        for template in plan.requests {
            let step = JourneyStep(name: template.name, method: template.method, path: template.path, body: template.body)
            try await self.probe(step, session: &session, report: &report)
        }
        for journey in plan.journeys {
            for index in journey.steps.indices {
                session.startJourney()
                var reached = true
                for earlier in journey.steps[..<index] {
                    let answer = try await session.send(session.render(earlier))
                    if !(200..<500).contains(answer.status) || (earlier.expect.status.map { $0 != answer.status } ?? false) {
                        report.notes.append("\(journey.name) › \(journey.steps[index].name): \(earlier.name) answered \(answer.status) before it")
                        reached = false
                        break
                    }
                    session.remember(answer, capture: earlier.capture)
                }
                if reached { try await self.probe(journey.steps[index], session: &session, report: &report) }
            }
        }
        if await LocalHTTP.get(port: self.scenario.manifest.port, path: "/health", timeoutSeconds: 5)?.status != 200 {
            report.findings.append(Finding(request: "GET /health", input: "nothing", problem: "no answer after the corpus: the server is down"))
        }
        return report
    }

    /// Sends every bad variant of `step`, checking each answer (and, for writes, that nothing was stored).
    private func probe(_ step: JourneyStep, session: inout Session, report: inout Report) async throws {
        for variant in session.variants(of: step) {
            let writes = !["GET", "HEAD"].contains(variant.probe.method)
            let before = writes ? try await self.rowCounts() : [:]
            let answer = try await session.send(variant.probe)
            report.sent += 1
            let request = "\(variant.probe.method) \(step.path)"
            if answer.status == 0 {
                report.findings.append(Finding(request: request, input: variant.label, problem: "no answer (\(answer.body))"))
                continue
            }
            if answer.status >= 500 {
                report.findings.append(Finding(request: request, input: variant.label, problem: "\(answer.status) \(answer.body.prefix(200))"))
            } else if answer.status >= 400 && answer.status != step.expect.status {
                // (A 401 where the step expects one, a wrong password, is the step working, not a rejection.)
                report.rejected += 1
                if answer.body.isEmpty {
                    report.findings.append(Finding(request: request, input: variant.label, problem: "\(answer.status) with no message"))
                }
                if writes {
                    let after = try await self.rowCounts()
                    for (table, count) in after.sorted(by: { $0.key < $1.key }) where count != before[table] {
                        report.findings.append(
                            Finding(
                                request: request,
                                input: variant.label,
                                problem: "answered \(answer.status) but \(table) went from \(before[table] ?? 0) to \(count) rows"
                            )
                        )
                    }
                }
            } else {
                report.accepted += 1
            }
        }
    }

    /// Rows per table of the scenario's database, but for tables the server writes on its own (scheduled jobs).
    private func rowCounts() async throws -> [String: Int] {
        let background = Set(self.scenario.manifest.backgroundWrites ?? [])
        let tables = try await self.database.strings(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
            on: self.scenario,
            asAdmin: true
        ).filter { !background.contains($0) }
        guard !tables.isEmpty else { return [:] }
        let sql = tables.map { "SELECT '\($0)' || ' ' || count(*) FROM \"\($0)\"" }.joined(separator: " UNION ALL ")
        var counts: [String: Int] = [:]
        for line in try await self.database.strings(sql, on: self.scenario, asAdmin: true) {
            let parts = line.split(separator: " ")
            if parts.count == 2, let count = Int(parts[1]) { counts[String(parts[0])] = count }
        }
        return counts
    }
}

/// The corpus's one visitor: cookies and values carried from step to step of a journey, like a browser.
private struct Session {
    let client: HTTPClient
    let base: String
    let parameters: [String: [String]]
    var values: [String: String] = [:]
    var cookies: [String: String] = [:]
    var journeys = 0

    init(client: HTTPClient, base: String, parameters: [String: [String]]) {
        self.client = client
        self.base = base
        self.parameters = parameters
    }

    /// A new visitor: no cookies, no captured values, a fresh `{unique}`.
    mutating func startJourney() {
        self.journeys += 1
        self.values = [Journey.uniquePlaceholder: "corpus\(self.journeys)x\(Int.random(in: 1000...9999))"]
        self.cookies = [:]
    }

    func value(_ name: String) -> String {
        self.values[name] ?? self.parameters[name]?.first ?? ""
    }

    /// `step` as written, with good values.
    func render(_ step: JourneyStep, replacing replaced: String? = nil, with bad: String = "") -> BadInputCorpus.Probe {
        let value = { (name: String) in name == replaced ? bad : self.value(name) }
        let json = step.bodyContentType.hasPrefix("application/json")
        let template = RequestTemplate(name: step.name, method: step.method, path: step.path, body: step.body)
        let body: String? = json ? template.renderBody(value) : template.renderBody(value, escapingJSON: false)
        return BadInputCorpus.Probe(name: step.name, method: step.method, path: template.render(value), body: body, contentType: step.bodyContentType)
    }

    /// Every bad variant of `step`: each placeholder with each bad value, then each bad body.
    func variants(of step: JourneyStep) -> [(label: String, probe: BadInputCorpus.Probe)] {
        var variants: [(String, BadInputCorpus.Probe)] = []
        for name in Set(step.placeholderNames).sorted() where name != Journey.uniquePlaceholder {
            for (label, bad) in BadInputCorpus.values {
                variants.append(("{\(name)} = \(label)", self.render(step, replacing: name, with: bad)))
            }
        }
        if step.body != nil {
            let good = self.render(step)
            for (label, body) in BadInputCorpus.bodies {
                var probe = good
                probe.body = body
                variants.append(("a body of \(label)", probe))
            }
            var wrongType = good
            wrongType.contentType = good.contentType.hasPrefix("application/json") ? "text/plain" : "application/json"
            variants.append(("Content-Type \(wrongType.contentType)", wrongType))
            var noType = good
            noType.contentType = ";"
            variants.append(("Content-Type \";\"", noType))
        } else {
            var query = self.render(step)
            query.path += (query.path.contains("?") ? "&" : "?") + "x=%00%ff&x[]=1"
            variants.append(("a query of a NUL byte and invalid UTF-8", query))
        }
        return variants
    }

    /// Sends `probe`; status 0 with the error as body when nothing answered.
    mutating func send(_ probe: BadInputCorpus.Probe) async throws -> (status: Int, body: String, headers: HTTPHeaders) {
        var request = HTTPClientRequest(url: self.base + probe.path)
        request.method = HTTPMethod(rawValue: probe.method)
        if !self.cookies.isEmpty { request.headers.add(name: "Cookie", value: self.cookies.map { "\($0.key)=\($0.value)" }.joined(separator: "; ")) }
        if let body = probe.body {
            request.headers.add(name: "Content-Type", value: probe.contentType)
            request.body = .bytes(ByteBuffer(string: body))
        }
        do {
            let response = try await self.client.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            for header in response.headers["set-cookie"] {
                let pair = header.prefix { $0 != ";" }
                if let equals = pair.firstIndex(of: "=") { self.cookies[String(pair[..<equals])] = String(pair[pair.index(after: equals)...]) }
            }
            return (Int(response.status.code), String(buffer: body), response.headers)
        } catch {
            return (0, "\(error)", [:])
        }
    }

    /// Keeps what a step captures from its answer for the next steps.
    mutating func remember(_ answer: (status: Int, body: String, headers: HTTPHeaders), capture: [String: String]?) {
        guard let capture, let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any] else { return }
        for (placeholder, field) in capture {
            if let value = object[field] { self.values[placeholder] = "\(value)" }
        }
    }
}
