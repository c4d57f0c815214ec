/// A scripted user journey: a few requests one person sends in a row (log in → act → read back), each with
/// what its answer must be. A journey fails at its first step whose answer is wrong: an unexpected status,
/// and also a `200` whose body lacks what must be there (stale or missing data), which a status-only load
/// test would count as a success.
///
/// Each virtual user runs one journey after another on its keep-alive connection, with its own cookies
/// (fresh for every journey, like a new visitor), so a session cookie set by a login step goes with the next
/// steps. Placeholders in paths, bodies and expectations are filled once per journey: from the plan's
/// parameters, from ``JourneyStep/capture`` of an earlier step, and `{unique}`, a value no other journey of
/// the run shares (for a display name, an avatar, an email nobody has used).
public struct Journey: Codable, Sendable, Equatable {
    /// Short name used in the report, e.g. `sign in`.
    public var name: String
    /// How often this journey is picked, relative to the others.
    public var weight: Int
    public var steps: [JourneyStep]
    /// Targets for whole journeys: success rate of journeys started, p99 of a journey's duration.
    public var targets: LoadTargets?

    public init(name: String, weight: Int = 1, steps: [JourneyStep], targets: LoadTargets? = nil) {
        self.name = name
        self.weight = weight
        self.steps = steps
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey { case name, weight, steps, targets }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decode(String.self, forKey: .name)
        self.weight = try container.decodeIfPresent(Int.self, forKey: .weight) ?? 1
        self.steps = try container.decode([JourneyStep].self, forKey: .steps)
        self.targets = try container.decodeIfPresent(LoadTargets.self, forKey: .targets)
    }

    /// The placeholder every journey may use: a value unique to one journey of one run.
    public static let uniquePlaceholder = "unique"

    /// How results name this journey's steps: `journey › step`.
    public var stepNames: [String] { self.steps.map { "\(self.name) › \($0.name)" } }
}

/// One request of a ``Journey`` and what its answer must be.
public struct JourneyStep: Codable, Sendable, Equatable {
    public var name: String
    public var method: String
    /// Path and query, with `{placeholders}` (URL-encoded when filled).
    public var path: String
    /// A request body with `{placeholders}`; JSON-escaped when filled if ``contentType`` is JSON.
    public var body: String?
    /// The body's `Content-Type` (default `application/json`).
    public var contentType: String?
    public var expect: Expectation
    /// Placeholders filled from this step's JSON answer for the next steps: placeholder → top-level field
    /// (`{"memberId": "id"}` makes `{memberId}` the answer's `id`).
    public var capture: [String: String]?
    /// Send this step as another member would: on a second connection of the same virtual user, from another
    /// source address (another loopback address), without the user's cookies (and keeping none it gets). A
    /// load balancer with sticky sessions sends the user to one instance; this step checks what everyone
    /// else sees ("another member sees my new name"). Placeholders and captures are the journey's as usual.
    public var asAnotherUser: Bool

    /// What the answer must be. Without any, a 2xx status.
    public struct Expectation: Codable, Sendable, Equatable {
        /// The exact status (e.g. `401` for a wrong password); nil means any 2xx.
        public var status: Int?
        /// Text the body must contain, with `{placeholders}`: the data this journey just wrote, for example.
        public var bodyContains: String?

        public init(status: Int? = nil, bodyContains: String? = nil) {
            self.status = status
            self.bodyContains = bodyContains
        }
    }

    public init(
        name: String,
        method: String = "GET",
        path: String,
        body: String? = nil,
        contentType: String? = nil,
        expect: Expectation = .init(),
        capture: [String: String]? = nil,
        asAnotherUser: Bool = false
    ) {
        self.name = name
        self.method = method
        self.path = path
        self.body = body
        self.contentType = contentType
        self.expect = expect
        self.capture = capture
        self.asAnotherUser = asAnotherUser
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case name, method, path, body, contentType, expect, capture, asAnotherUser }

    /// Any key of a JSON object, to find the ones a step does not have.
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Reads a step from `lab.json`. A field it does not know is an error, not ignored: a misspelt
    /// `"asAnotherUsr": true` would otherwise quietly check nothing.
    public init(from decoder: any Decoder) throws {
        let keys = try decoder.container(keyedBy: AnyKey.self)
        for key in keys.allKeys where CodingKeys(stringValue: key.stringValue) == nil {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: keys,
                debugDescription:
                    "a journey step has no field '\(key.stringValue)' (it has \(CodingKeys.allCases.map(\.stringValue).joined(separator: ", ")))"
            )
        }
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.path = try container.decode(String.self, forKey: .path)
        self.name = try container.decodeIfPresent(String.self, forKey: .name) ?? self.path
        self.method = try container.decodeIfPresent(String.self, forKey: .method) ?? "GET"
        self.body = try container.decodeIfPresent(String.self, forKey: .body)
        self.contentType = try container.decodeIfPresent(String.self, forKey: .contentType)
        self.expect = try container.decodeIfPresent(Expectation.self, forKey: .expect) ?? .init()
        self.capture = try container.decodeIfPresent([String: String].self, forKey: .capture)
        self.asAnotherUser = try container.decodeIfPresent(Bool.self, forKey: .asAnotherUser) ?? false
    }

    /// The `Content-Type` sent with the body.
    public var bodyContentType: String { self.contentType ?? "application/json" }

    /// The placeholder names used by the path, the body and the expectation, in that order.
    public var placeholderNames: [String] {
        RequestTemplate.placeholders(in: self.path) + RequestTemplate.placeholders(in: self.body ?? "")
            + RequestTemplate.placeholders(in: self.expect.bodyContains ?? "")
    }

    /// How a wrong answer is described in the report: the expectation as written (placeholders not filled),
    /// so every journey that failed the same way counts under one line.
    var expectedStatusText: String { self.expect.status.map(String.init) ?? "2xx" }
}

extension Journey {
    /// Checks the journey before any traffic is sent: every placeholder has a source, every step can be sent.
    func validate(parameters: [String: [String]]) throws(LoadPlanError) {
        if self.weight < 1 { throw .invalid("journey '\(self.name)' has weight \(self.weight); weights must be at least 1") }
        if self.steps.isEmpty { throw .invalid("journey '\(self.name)' has no steps") }
        var captured: Set<String> = []
        var names: Set<String> = []
        for step in self.steps {
            let label = "journey '\(self.name)', step '\(step.name)'"
            guard names.insert(step.name).inserted else { throw .invalid("\(label): two steps of one journey have that name") }
            guard step.path.hasPrefix("/") else { throw .invalid("\(label): the path must start with / (got \(step.path))") }
            for name in step.placeholderNames where name != Self.uniquePlaceholder && !captured.contains(name) {
                guard let values = parameters[name], !values.isEmpty else {
                    throw .invalid("\(label) uses {\(name)}, which is neither a parameter with values nor captured by an earlier step")
                }
            }
            for (placeholder, field) in step.capture ?? [:] {
                if placeholder.isEmpty || field.isEmpty { throw .invalid("\(label): a capture needs a placeholder name and a field") }
                captured.insert(placeholder)
            }
        }
    }
}
