import NIOCore
import NIOHTTP1

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The plan's journeys, prepared once and shared (read-only) by every virtual user.
struct JourneyMix: Sendable {
    let journeys: [Journey]
    /// Running sum of the weights, for picking a journey in proportion to its weight.
    let cumulativeWeights: [Int]
    /// Index of each journey's first step among the endpoints (steps of all journeys, in order).
    let firstEndpoint: [Int]
    let parameters: [String: [String]]
    let users: Int
    let host: String
    /// Starts every `{unique}` value of this run, so no two runs share one either (a second run within the
    /// same minute must not find the first run's avatars or rate-limit counters).
    let runTag: String
    let timeoutSeconds: Double

    init(plan: LoadPlan, host: String) {
        self.journeys = plan.journeys
        var sum = 0
        self.cumulativeWeights = plan.journeys.map {
            sum += $0.weight
            return sum
        }
        var first = 0
        self.firstEndpoint = plan.journeys.map { journey in
            defer { first += journey.steps.count }
            return first
        }
        self.parameters = plan.parameters
        self.users = plan.users
        self.host = host
        var random = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        self.runTag = String((0..<6).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
        self.timeoutSeconds = plan.timeoutSeconds
    }

    /// A value of parameter `name` for virtual user `user`. Each user draws from its own share of the values
    /// (value i belongs to user i mod users), so two users never act on the same account at the same time:
    /// one user's "change my name" cannot overwrite what another user is about to read back.
    func value(_ name: String, user: Int, using rng: inout SplitMix64) -> String {
        guard let values = self.parameters[name], !values.isEmpty else { return "" }
        guard values.count >= self.users else { return values[user % values.count] }
        let share = (values.count - user + self.users - 1) / self.users
        return values[user + Int(rng.next() % UInt64(share)) * self.users]
    }
}

/// Counts of whole journeys for the users of one event loop (like ``LoadStats`` for requests).
final class JourneyStats {
    var journeys: [LoadStats.Bucket]
    /// Per journey: step name → failure reason → count.
    var failures: [[String: [String: Int]]]
    var windowEnd: UInt64 = .max

    init(journeyCount: Int) {
        self.journeys = Array(repeating: LoadStats.Bucket(), count: journeyCount)
        self.failures = Array(repeating: [:], count: journeyCount)
    }

    func started(_ journey: Int) {
        self.journeys[journey].counts.sent += 1
    }

    /// Counts a journey that ended: `outcome` is `.success`, or how its failing step failed (a journey
    /// that ended for want of an answer ranks above every answered journey in the percentiles).
    func finished(_ journey: Int, outcome: LoadStats.Outcome, failedAt step: String?, reason: String?, durationNanoseconds: UInt64, now: UInt64) {
        if let step, let reason {
            self.failures[journey][step, default: [:]][reason, default: 0] += 1
        }
        self.journeys[journey].record(outcome, latencyNanoseconds: durationNanoseconds, inWindow: now <= self.windowEnd)
    }
}

/// One virtual user running journeys: picks a journey, sends its steps in order with the cookies the answers
/// set, checks each answer, and starts the next journey when one ends (at its last step, or at its first
/// wrong answer).
final class JourneyScript: UserScript {
    let mix: JourneyMix
    let stats: JourneyStats
    let user: Int
    var rng: SplitMix64
    private var journeysStarted = 0

    /// The journey under way: which one, its next step, its placeholder values, its cookies (the user's own:
    /// a step sent as another user neither sends nor keeps any).
    private struct Current {
        var journey: Int
        var step = 0
        var values: [String: String] = [:]
        var cookies: [(name: String, value: String)] = []
        var start: UInt64
    }
    private var current: Current?

    init(mix: JourneyMix, stats: JourneyStats, user: Int, seed: UInt64) {
        self.mix = mix
        self.stats = stats
        self.user = user
        self.rng = SplitMix64(seed: seed)
    }

    var readsAnswers: Bool { true }
    var isMidJourney: Bool { self.current != nil }

    func next() -> ScriptedRequest {
        if self.current == nil { self.begin() }
        guard var current = self.current else { preconditionFailure("begin() starts a journey") }
        let step = self.mix.journeys[current.journey].steps[current.step]
        let path = RequestTemplate.fill(step.path, value: { self.value($0, in: &current) }, encode: percentEncode)
        let body = step.body.map { template in
            let json = step.bodyContentType.hasPrefix("application/json")
            return (
                text: RequestTemplate.fill(template, value: { self.value($0, in: &current) }, encode: json ? jsonEscape : { $0 }),
                contentType: step.bodyContentType
            )
        }
        let cookie =
            step.asAnotherUser || current.cookies.isEmpty ? nil : current.cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
        self.current = current
        let request = RequestMix.encode(method: step.method, path: path, host: self.mix.host, cookie: cookie, body: body)
        return ScriptedRequest(endpoint: self.mix.firstEndpoint[current.journey] + current.step, bytes: request, asAnotherUser: step.asAnotherUser)
    }

    private func begin() {
        let roll = Int(self.rng.next() % UInt64(self.mix.cumulativeWeights.last!))
        let journey = self.mix.cumulativeWeights.firstIndex { roll < $0 }!
        self.journeysStarted += 1
        self.current = Current(journey: journey, start: VirtualUser.now())
        self.stats.started(journey)
    }

    /// The journey's value for `name`: drawn (or made unique) the first time a step needs it, then the same
    /// for every later step, so the step that reads back looks for what the step before it wrote.
    private func value(_ name: String, in current: inout Current) -> String {
        if let known = current.values[name] { return known }
        let value =
            name == Journey.uniquePlaceholder
            ? "\(self.mix.runTag)\(self.user)x\(self.journeysStarted)"
            : self.mix.value(name, user: self.user, using: &self.rng)
        current.values[name] = value
        return value
    }

    func judge(_ answer: Answer, endpoint: Int, now: UInt64) -> LoadStats.Outcome {
        guard var current = self.current else { return .success }
        let step = self.mix.journeys[current.journey].steps[current.step]
        for header in answer.headers["set-cookie"] where !step.asAnotherUser {
            let pair = header.prefix { $0 != ";" }
            guard let equals = pair.firstIndex(of: "=") else { continue }
            let name = String(pair[..<equals]).trimmingSpaces
            current.cookies.removeAll { $0.name == name }
            current.cookies.append((name, String(pair[pair.index(after: equals)...]).trimmingSpaces))
        }
        let statusOK = step.expect.status.map { answer.status == $0 } ?? (200..<300).contains(answer.status)
        guard statusOK else {
            let outcome = LoadStats.Outcome.httpError(status: answer.status)
            self.end(current, outcome, failedAt: step, reason: "\(answer.status) instead of \(step.expectedStatusText)", now: now)
            return outcome
        }
        let body = answer.body.map { String(buffer: $0) } ?? ""
        if let template = step.expect.bodyContains {
            let expected = RequestTemplate.fill(template, value: { self.value($0, in: &current) }, encode: { $0 })
            guard body.contains(expected) else {
                self.end(current, .wrongAnswer, failedAt: step, reason: "\(answer.status), but without \"\(template)\"", now: now)
                return .wrongAnswer
            }
        }
        if let capture = step.capture {
            let fields = TopLevelFields.parse(body)
            for (placeholder, field) in capture.sorted(by: { $0.key < $1.key }) {
                guard let value = fields[field] else {
                    self.end(current, .wrongAnswer, failedAt: step, reason: "\(answer.status), but no \"\(field)\" in the answer", now: now)
                    return .wrongAnswer
                }
                current.values[placeholder] = value
            }
        }
        current.step += 1
        if current.step == self.mix.journeys[current.journey].steps.count {
            self.end(current, .success, failedAt: nil, reason: nil, now: now)
        } else {
            self.current = current
        }
        return .success
    }

    func failed(_ outcome: LoadStats.Outcome, endpoint: Int, now: UInt64) {
        guard let current = self.current else { return }
        let step = self.mix.journeys[current.journey].steps[current.step]
        let reason = if case .timeout = outcome { "no answer within \(format(self.mix.timeoutSeconds, digits: 1)) s" } else { "connection error" }
        self.end(current, outcome, failedAt: step, reason: reason, now: now)
    }

    private func end(_ current: Current, _ outcome: LoadStats.Outcome, failedAt step: JourneyStep?, reason: String?, now: UInt64) {
        self.stats.finished(
            current.journey,
            outcome: outcome,
            failedAt: step?.name,
            reason: reason,
            durationNanoseconds: now - current.start,
            now: now
        )
        self.current = nil
    }
}

/// The top-level fields of a JSON object answer, as text (`{"id": 7, "name": "x"}` → `id: "7"`, `name: "x"`).
/// Nested objects and arrays are left out: a capture names a top-level field.
enum TopLevelFields {
    static func parse(_ body: String) -> [String: String] {
        (try? JSONDecoder().decode([String: Scalar].self, from: Data(body.utf8)))?.compactMapValues(\.text) ?? [:]
    }

    struct Scalar: Decodable {
        var text: String?

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let string = try? container.decode(String.self) {
                self.text = string
            } else if let integer = try? container.decode(Int64.self) {
                self.text = String(integer)
            } else if let number = try? container.decode(Double.self) {
                self.text = String(number)
            } else if let bool = try? container.decode(Bool.self) {
                self.text = String(bool)
            } else {
                self.text = nil
            }
        }
    }
}

extension StringProtocol {
    var trimmingSpaces: String {
        String(self.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
