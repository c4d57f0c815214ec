/// What a load test does: how many virtual users, for how long, and which requests they send.
///
/// A scenario's `lab.json` holds the parts that belong to the lesson (the request mix and the targets);
/// the command line can override users, duration and timeout.
public struct LoadPlan: Codable, Sendable, Equatable {
    /// Base URL of the server under test, e.g. `http://127.0.0.1:8080`.
    public var url: String
    /// Virtual users. Each one sends a request, waits for its answer, then sends the next (a closed model,
    /// like autocannon and wrk): the load a server sees is limited by how fast it answers.
    public var users: Int
    /// How long users keep sending new requests, in seconds. Requests still in flight then are awaited
    /// (up to the timeout) and counted.
    public var durationSeconds: Double
    /// How long one request may take before it counts as a timeout failure, in seconds.
    public var timeoutSeconds: Double
    /// The request mix. Each request picks one template, in proportion to the weights.
    public var requests: [RequestTemplate]
    /// Scripted user journeys, instead of a request mix: each virtual user runs one journey after another,
    /// picked in proportion to the weights (``Journey``). A plan has requests or journeys, not both.
    public var journeys: [Journey]
    /// Values for `{placeholders}` in the templates, e.g. real emails read from the seeded database.
    public var parameters: [String: [String]]
    /// Event-loop threads for the load generator itself. One is plenty on a 2-core machine and leaves the
    /// other core to the server.
    public var threads: Int
    /// Seed for picking templates and parameter values, so two runs send the same sequence.
    public var seed: UInt64
    /// All users connect from one address (127.0.0.1 for a loopback target) instead of one loopback address
    /// each (``SourceAddresses``): to see what a load balancer does when every user shares one address (an
    /// office behind one public address), or where binding to other loopback addresses is not allowed.
    public var singleSourceAddress: Bool

    public init(
        url: String,
        users: Int = 100,
        durationSeconds: Double = 20,
        timeoutSeconds: Double = 5,
        requests: [RequestTemplate] = [],
        journeys: [Journey] = [],
        parameters: [String: [String]] = [:],
        threads: Int = 1,
        seed: UInt64 = 42,
        singleSourceAddress: Bool = false
    ) {
        self.url = url
        self.users = users
        self.durationSeconds = durationSeconds
        self.timeoutSeconds = timeoutSeconds
        self.requests = requests
        self.journeys = journeys
        self.parameters = parameters
        self.threads = threads
        self.seed = seed
        self.singleSourceAddress = singleSourceAddress
    }

    /// The plan with only the requests, or journeys, called `names` (`./lab load --only`).
    public func keepingOnly(_ names: [String]) -> LoadPlan {
        var plan = self
        plan.requests.removeAll { !names.contains($0.name) }
        plan.journeys.removeAll { !names.contains($0.name) }
        return plan
    }

    /// Checks the plan before any traffic is sent, so a typo gives a message instead of a confusing run.
    public func validate() throws(LoadPlanError) {
        if self.users < 1 { throw .invalid("users must be at least 1 (got \(self.users))") }
        if !(self.durationSeconds > 0) { throw .invalid("duration must be more than 0 seconds (got \(self.durationSeconds))") }
        if !(self.timeoutSeconds > 0) { throw .invalid("timeout must be more than 0 seconds (got \(self.timeoutSeconds))") }
        if self.threads < 1 { throw .invalid("threads must be at least 1 (got \(self.threads))") }
        if self.requests.isEmpty && self.journeys.isEmpty { throw .invalid("the request mix is empty: add at least one request") }
        if !self.requests.isEmpty && !self.journeys.isEmpty {
            throw .invalid("a load test sends either a request mix or journeys, not both")
        }
        _ = try HTTPTarget(url: self.url)
        for journey in self.journeys { try journey.validate(parameters: self.parameters) }
        if Set(self.journeys.map(\.name)).count != self.journeys.count { throw .invalid("two journeys have the same name") }
        for template in self.requests {
            if template.weight < 1 { throw .invalid("request '\(template.name)' has weight \(template.weight); weights must be at least 1") }
            guard template.path.hasPrefix("/") else { throw .invalid("request '\(template.name)' path must start with / (got \(template.path))") }
            for name in template.placeholderNames {
                guard let values = self.parameters[name], !values.isEmpty else {
                    throw .invalid("request '\(template.name)' uses {\(name)} but no values for '\(name)' were given")
                }
            }
        }
    }
}

/// One kind of request in the mix.
public struct RequestTemplate: Codable, Sendable, Equatable {
    /// Short name used in the per-request breakdown, e.g. `user by email`.
    public var name: String
    public var method: String
    /// Path and query, with `{name}` placeholders filled from ``LoadPlan/parameters`` (URL-encoded).
    public var path: String
    public var weight: Int
    /// A JSON body (sent with `Content-Type: application/json`), with `{name}` placeholders like the path;
    /// values are JSON-escaped, so write `"{email}"` for a string and `{id}` for a number.
    public var body: String?
    /// This request's own targets (a per-endpoint verdict line), on top of the plan's overall targets.
    public var targets: LoadTargets?

    public init(name: String, method: String = "GET", path: String, weight: Int = 1, body: String? = nil, targets: LoadTargets? = nil) {
        self.name = name
        self.method = method
        self.path = path
        self.weight = weight
        self.body = body
        self.targets = targets
    }

    enum CodingKeys: String, CodingKey { case name, method, path, weight, body, targets }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.path = try container.decode(String.self, forKey: .path)
        self.name = try container.decodeIfPresent(String.self, forKey: .name) ?? self.path
        self.method = try container.decodeIfPresent(String.self, forKey: .method) ?? "GET"
        self.weight = try container.decodeIfPresent(Int.self, forKey: .weight) ?? 1
        self.body = try container.decodeIfPresent(String.self, forKey: .body)
        self.targets = try container.decodeIfPresent(LoadTargets.self, forKey: .targets)
    }

    /// The `{placeholder}` names in ``path`` and then ``body``, in order.
    public var placeholderNames: [String] {
        Self.placeholders(in: self.path) + Self.placeholders(in: self.body ?? "")
    }

    static func placeholders(in text: String) -> [String] {
        var names: [String] = []
        _ = Self.fill(
            text,
            value: { name in
                names.append(name)
                return ""
            },
            encode: { $0 }
        )
        return names
    }

    /// The path with each placeholder replaced by `value(name)`, percent-encoded for a URL.
    public func render(_ value: (String) -> String) -> String {
        Self.fill(self.path, value: value, encode: percentEncode)
    }

    /// The body with each placeholder replaced by `value(name)`, escaped for a JSON string (or as it is, for a
    /// body that is not JSON); nil without a body.
    public func renderBody(_ value: (String) -> String, escapingJSON: Bool = true) -> String? {
        self.body.map { Self.fill($0, value: value, encode: escapingJSON ? jsonEscape : { $0 }) }
    }

    /// Replaces each `{name}` (letters, digits, `_`) in `text`; other braces, such as a JSON body's own,
    /// are kept as they are.
    static func fill(_ text: String, value: (String) -> String, encode: (String) -> String) -> String {
        var result = ""
        var rest = text[...]
        while let open = rest.firstIndex(of: "{") {
            result += rest[..<open]
            let afterOpen = rest.index(after: open)
            let name = rest[afterOpen...].prefix { $0.isLetter || $0.isNumber || $0 == "_" }
            if !name.isEmpty, name.endIndex < rest.endIndex, rest[name.endIndex] == "}" {
                result += encode(value(String(name)))
                rest = rest[rest.index(after: name.endIndex)...]
            } else {
                result += "{"
                rest = rest[afterOpen...]
            }
        }
        return result + rest
    }
}

/// A load plan that cannot run, with the reason.
public enum LoadPlanError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    public var description: String {
        switch self {
        case .invalid(let reason): return "invalid load test: \(reason)"
        }
    }
}

/// Host and port of an `http://` URL. The load tool speaks plain HTTP/1.1 only: lab servers run on loopback.
struct HTTPTarget: Equatable {
    var host: String
    var port: Int

    init(url: String) throws(LoadPlanError) {
        guard url.hasPrefix("http://") else { throw .invalid("the URL must start with http:// (got \(url))") }
        var authority = url.dropFirst("http://".count)
        if let slash = authority.firstIndex(of: "/") { authority = authority[..<slash] }
        if let colon = authority.lastIndex(of: ":") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else {
                throw .invalid("the URL has a bad port: \(url)")
            }
            self.host = String(authority[..<colon])
            self.port = port
        } else {
            self.host = String(authority)
            self.port = 80
        }
        if self.host.isEmpty { throw .invalid("the URL names no host: \(url)") }
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986), so `a+b@x.com` arrives as typed.
func percentEncode(_ value: String) -> String {
    var out = ""
    for byte in value.utf8 {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
            out.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789ABCDEF".utf8)
            out += "%"
            out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte >> 4)]))
            out.unicodeScalars.append(Unicode.Scalar(hex[Int(byte & 0xF)]))
        }
    }
    return out
}

/// A small, fast, seedable random number generator (SplitMix64), so a load test is repeatable.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// `text` escaped for the inside of a JSON string.
func jsonEscape(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case _ where scalar.value < 0x20:
            let hex = String(scalar.value, radix: 16)
            result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: result.unicodeScalars.append(scalar)
        }
    }
    return result
}
