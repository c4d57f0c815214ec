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
    /// Where the users' connections came from, in words (`one loopback address per user, 127.1.0.1 to
    /// 127.1.99.1`), with a warning when they could not come from several; nil in results saved before.
    public var sourceAddresses: String?

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
        /// Throughput: requests that succeeded (2xx; for journeys, answered as expected) within the test
        /// window, per second of the window. Errors do not count: a server that refuses everything at once
        /// would otherwise have its best throughput ever.
        public var requestsPerSecond: Double = 0
        /// Latency of every request sent, in milliseconds; one with no answer ranks above every answer.
        public var latency: Latency = .init()
        /// The first answer's body for each error status (its first line, at most 200 characters): what the
        /// server said, so a report can show why requests failed, not only how many did.
        public var errorExamples: [String: String] = [:]

        public init() {}

        enum CodingKeys: String, CodingKey {
            case sent, succeeded, timeouts, connectionErrors, httpErrors, wrongAnswers, requestsPerSecond, latency, errorExamples
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
            self.errorExamples = try container.decodeIfPresent([String: String].self, forKey: .errorExamples) ?? [:]
        }

        public var failed: Int { self.sent - self.succeeded }
        /// Requests the server answered, right or wrong (the failures that are not timeouts or connection errors).
        public var answered: Int { self.succeeded + self.httpErrorCount + self.wrongAnswers }
        public var httpErrorCount: Int { self.httpErrors.values.reduce(0, +) }
        /// Requests that got an error status or no answer (timed out, not connected): the failures that are not
        /// a 200 with wrong data.
        public var errors: Int { self.timeouts + self.connectionErrors + self.httpErrorCount }
        /// Percentage of sent requests that succeeded (100 when nothing was sent would hide a dead tool, so 0).
        public var successRate: Double { self.sent == 0 ? 0 : Double(self.succeeded) / Double(self.sent) * 100 }
    }

    /// Latency percentiles in milliseconds.
    ///
    /// A request that got no answer (timed out, or no connection) counts as slower than every answer: when a
    /// percentile falls among those requests, ``isUnanswered(_:)`` says so, and its number is the timeout (they
    /// waited at least that long, or never got a connection). No latency target can pass on such a percentile.
    public struct Latency: Codable, Sendable, Equatable {
        public var p50: Double = 0
        public var p90: Double = 0
        public var p99: Double = 0
        public var p999: Double = 0
        public var max: Double = 0
        /// The mean of the answers only (requests with no answer have no duration to average).
        public var mean: Double = 0
        /// Requests these percentiles are over: the answers and the requests with no answer. 0 in results
        /// saved before requests with no answer were ranked (those have no ``unanswered`` either).
        public var requests: Int = 0
        /// Of ``requests``, those with no answer: they rank above every answer.
        public var unanswered: Int = 0

        public init() {}

        /// The percentiles a result reports.
        public enum Percentile: Double, CaseIterable, Sendable {
            case p50 = 50
            case p90 = 90
            case p99 = 99
            case p999 = 99.9
            case max = 100
        }

        public subscript(_ percentile: Percentile) -> Double {
            get {
                switch percentile {
                case .p50: self.p50
                case .p90: self.p90
                case .p99: self.p99
                case .p999: self.p999
                case .max: self.max
                }
            }
            set {
                switch percentile {
                case .p50: self.p50 = newValue
                case .p90: self.p90 = newValue
                case .p99: self.p99 = newValue
                case .p999: self.p999 = newValue
                case .max: self.max = newValue
                }
            }
        }

        /// Whether this percentile falls among the requests that got no answer.
        public func isUnanswered(_ percentile: Percentile) -> Bool {
            self.unanswered > 0 && Self.rank(percentile, of: self.requests) > self.requests - self.unanswered
        }

        /// The 1-based rank of `percentile` among `count` sorted samples, rounded up like HdrHistogram does.
        static func rank(_ percentile: Percentile, of count: Int) -> Int {
            Swift.max(1, Int((percentile.rawValue * Double(count) / 100).nextDown.rounded(.up)))
        }

        enum CodingKeys: String, CodingKey { case p50, p90, p99, p999, max, mean, requests, unanswered }

        /// Reads results saved by older versions too (without ``requests`` and ``unanswered``).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.p50 = try container.decode(Double.self, forKey: .p50)
            self.p90 = try container.decode(Double.self, forKey: .p90)
            self.p99 = try container.decode(Double.self, forKey: .p99)
            self.p999 = try container.decode(Double.self, forKey: .p999)
            self.max = try container.decode(Double.self, forKey: .max)
            self.mean = try container.decode(Double.self, forKey: .mean)
            self.requests = try container.decodeIfPresent(Int.self, forKey: .requests) ?? 0
            self.unanswered = try container.decodeIfPresent(Int.self, forKey: .unanswered) ?? 0
        }
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
        journeys: [JourneyResult]? = nil,
        sourceAddresses: String? = nil
    ) {
        self.url = url
        self.users = users
        self.durationSeconds = durationSeconds
        self.timeoutSeconds = timeoutSeconds
        self.elapsedSeconds = elapsedSeconds
        self.totals = totals
        self.endpoints = endpoints
        self.journeys = journeys
        self.sourceAddresses = sourceAddresses
    }
}
