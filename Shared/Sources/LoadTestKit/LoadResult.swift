/// Everything one load test measured, as printed at the end and saved by `--json` (for `compare`).
///
/// Success rate is over requests *sent*: a request that timed out, could not connect, or got a non-2xx
/// answer is a failure. (Dividing by completed responses only would hide exactly the requests a broken
/// server never answers.)
public struct LoadResult: Codable, Sendable, Equatable {
    public var url: String
    public var users: Int
    public var durationSeconds: Double
    public var timeoutSeconds: Double
    /// Seconds from the first request to the last answer (the drain included).
    public var elapsedSeconds: Double
    public var totals: Counts
    /// Per request kind (by template name), in the order of the plan. For journeys, one per step, named
    /// `journey › step`.
    public var endpoints: [Endpoint]
    /// Per journey, in the order of the plan; nil for a request mix.
    public var journeys: [JourneyResult]?

    /// Requests counted by outcome.
    public struct Counts: Codable, Sendable, Equatable {
        public var sent: Int = 0
        public var succeeded: Int = 0
        /// No answer within the timeout.
        public var timeouts: Int = 0
        /// Could not connect, or the connection broke before the answer arrived.
        public var connectionErrors: Int = 0
        /// Answered with a status outside 200-299 (for journeys: a status other than the step expects), by
        /// status code.
        public var httpErrors: [String: Int] = [:]
        /// Journeys only: answered with the expected status, but without the data the step must see (stale or
        /// missing). A status-only load test would have counted these as successes.
        public var wrongAnswers: Int = 0
        /// Answers received within the test window (all outcomes), per second of the window.
        public var requestsPerSecond: Double = 0
        /// Latency of every answered or timed-out request, in milliseconds.
        public var latency: Latency = .init()

        public init() {}

        enum CodingKeys: String, CodingKey {
            case sent, succeeded, timeouts, connectionErrors, httpErrors, wrongAnswers, requestsPerSecond, latency
        }

        /// Reads results saved by older versions too (`./lab compare` of a run saved before journeys existed).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.sent = try container.decode(Int.self, forKey: .sent)
            self.succeeded = try container.decode(Int.self, forKey: .succeeded)
            self.timeouts = try container.decode(Int.self, forKey: .timeouts)
            self.connectionErrors = try container.decode(Int.self, forKey: .connectionErrors)
            self.httpErrors = try container.decode([String: Int].self, forKey: .httpErrors)
            self.wrongAnswers = try container.decodeIfPresent(Int.self, forKey: .wrongAnswers) ?? 0
            self.requestsPerSecond = try container.decode(Double.self, forKey: .requestsPerSecond)
            self.latency = try container.decode(Latency.self, forKey: .latency)
        }

        public var failed: Int { self.sent - self.succeeded }
        public var httpErrorCount: Int { self.httpErrors.values.reduce(0, +) }
        /// Percentage of sent requests that succeeded (100 when nothing was sent would hide a dead tool, so 0).
        public var successRate: Double { self.sent == 0 ? 0 : Double(self.succeeded) / Double(self.sent) * 100 }
    }

    /// Latency percentiles in milliseconds.
    public struct Latency: Codable, Sendable, Equatable {
        public var p50: Double = 0
        public var p90: Double = 0
        public var p99: Double = 0
        public var p999: Double = 0
        public var max: Double = 0
        public var mean: Double = 0
        public init() {}
    }

    public struct Endpoint: Codable, Sendable, Equatable {
        public var name: String
        public var counts: Counts
        /// The request's own targets from the plan, if it has any (the per-endpoint verdict).
        public var targets: LoadTargets?
        public init(name: String, counts: Counts, targets: LoadTargets? = nil) {
            self.name = name
            self.counts = counts
            self.targets = targets
        }
    }

    /// What whole journeys of one kind did.
    public struct JourneyResult: Codable, Sendable, Equatable {
        public var name: String
        /// Journeys counted like requests: sent = started, succeeded = every step answered as expected,
        /// latency = a whole journey's duration, requests per second = journeys finished per second.
        public var counts: Counts
        /// The journey's own targets from the plan (a per-journey verdict line).
        public var targets: LoadTargets?
        /// Why journeys failed, per step name: reason (e.g. `401 instead of 200`) → how many.
        public var failures: [String: [String: Int]]

        public init(name: String, counts: Counts, targets: LoadTargets? = nil, failures: [String: [String: Int]] = [:]) {
            self.name = name
            self.counts = counts
            self.targets = targets
            self.failures = failures
        }
    }

    public init(
        url: String,
        users: Int,
        durationSeconds: Double,
        timeoutSeconds: Double,
        elapsedSeconds: Double,
        totals: Counts,
        endpoints: [Endpoint],
        journeys: [JourneyResult]? = nil
    ) {
        self.url = url
        self.users = users
        self.durationSeconds = durationSeconds
        self.timeoutSeconds = timeoutSeconds
        self.elapsedSeconds = elapsedSeconds
        self.totals = totals
        self.endpoints = endpoints
        self.journeys = journeys
    }
}
