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
    /// Per request kind (by template name), in the order of the plan.
    public var endpoints: [Endpoint]

    /// Requests counted by outcome.
    public struct Counts: Codable, Sendable, Equatable {
        public var sent: Int = 0
        public var succeeded: Int = 0
        /// No answer within the timeout.
        public var timeouts: Int = 0
        /// Could not connect, or the connection broke before the answer arrived.
        public var connectionErrors: Int = 0
        /// Answered with a status outside 200-299, by status code.
        public var httpErrors: [String: Int] = [:]
        /// Answers received within the test window (all outcomes), per second of the window.
        public var requestsPerSecond: Double = 0
        /// Latency of every answered or timed-out request, in milliseconds.
        public var latency: Latency = .init()

        public init() {}

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

    public init(
        url: String,
        users: Int,
        durationSeconds: Double,
        timeoutSeconds: Double,
        elapsedSeconds: Double,
        totals: Counts,
        endpoints: [Endpoint]
    ) {
        self.url = url
        self.users = users
        self.durationSeconds = durationSeconds
        self.timeoutSeconds = timeoutSeconds
        self.elapsedSeconds = elapsedSeconds
        self.totals = totals
        self.endpoints = endpoints
    }
}
