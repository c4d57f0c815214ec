/// The numbers a scenario's server must reach under its standard load. Any target left out is not checked.
public struct LoadTargets: Codable, Sendable, Equatable {
    /// Lowest acceptable success rate, in percent of requests sent (e.g. 99.9).
    public var minSuccessRate: Double?
    /// Highest acceptable 99th-percentile latency, in milliseconds.
    public var maxP99Milliseconds: Double?
    /// Lowest acceptable throughput, in answered requests per second.
    public var minRequestsPerSecond: Double?

    public init(minSuccessRate: Double? = nil, maxP99Milliseconds: Double? = nil, minRequestsPerSecond: Double? = nil) {
        self.minSuccessRate = minSuccessRate
        self.maxP99Milliseconds = maxP99Milliseconds
        self.minRequestsPerSecond = minRequestsPerSecond
    }

    /// The same targets for a machine `slowness` times slower than the one they were set on: p99 limits
    /// × slowness, throughput ÷ slowness, success rates unchanged (a slow machine is no excuse for errors).
    /// The lesson tests' use: see LabTesting's `MachineSpeed`.
    public func scaled(bySlowness slowness: Double) -> LoadTargets {
        LoadTargets(
            minSuccessRate: self.minSuccessRate,
            maxP99Milliseconds: self.maxP99Milliseconds.map { $0 * slowness },
            minRequestsPerSecond: self.minRequestsPerSecond.map { $0 / slowness }
        )
    }

    /// One ✓/✗ line of the verdict.
    public struct Check: Sendable, Equatable {
        public var target: String
        public var measured: String
        public var passed: Bool
    }

    /// Compares `counts` with every target that is set, in a fixed order.
    public func evaluate(_ counts: LoadResult.Counts) -> [Check] {
        var checks: [Check] = []
        if let min = self.minSuccessRate {
            checks.append(
                Check(
                    target: "success rate ≥ \(format(min, digits: 1))%",
                    measured: "\(format(counts.successRate, digits: 2))%",
                    passed: counts.successRate >= min
                )
            )
        }
        if let max = self.maxP99Milliseconds {
            checks.append(
                Check(
                    target: "p99 latency ≤ \(format(max, digits: 0)) ms",
                    measured: counts.answered == 0 || counts.latency.isUnanswered(.p99)
                        ? "no answer" : "\(format(counts.latency.p99, digits: 1)) ms",
                    passed: Self.p99(of: counts, isAtMost: max)
                )
            )
        }
        if let min = self.minRequestsPerSecond {
            checks.append(
                Check(
                    target: "throughput ≥ \(format(min, digits: 0)) req/s",
                    measured: "\(format(counts.requestsPerSecond, digits: 0)) req/s",
                    passed: counts.answered > 0 && counts.requestsPerSecond >= min
                )
            )
        }
        return checks
    }

    /// Whether the p99 is at most `limit` milliseconds: never when nothing was answered, nor when the p99
    /// falls among the requests that got no answer (a dead or resetting server must not pass on them).
    static func p99(of counts: LoadResult.Counts, isAtMost limit: Double) -> Bool {
        counts.answered > 0 && !counts.latency.isUnanswered(.p99) && counts.latency.p99 <= limit
    }

    /// True when every target that is set is met.
    public func allMet(_ counts: LoadResult.Counts) -> Bool {
        self.evaluate(counts).allSatisfy(\.passed)
    }

    /// A traffic-light verdict, so a learner sees each fix land even before it is complete.
    public enum Grade: String, Sendable, Equatable {
        /// Every target met.
        case green
        /// Missed, but close: p99 at most 2× its limit, throughput at least half its target, and at most 10×
        /// the failures the success target allows (99.0% for a 99.9% target).
        case amber
        /// Missed by more than that.
        case red
    }

    public func grade(_ counts: LoadResult.Counts) -> Grade {
        if self.allMet(counts) { return .green }
        let close =
            (self.maxP99Milliseconds.map { Self.p99(of: counts, isAtMost: 2 * $0) } ?? true)
            && (self.minRequestsPerSecond.map { counts.requestsPerSecond >= $0 / 2 } ?? true)
            && (self.minSuccessRate.map { 100 - counts.successRate <= 10 * (100 - $0) } ?? true)
        return close ? .amber : .red
    }
}

extension LoadResult {
    /// The verdict's PASS: every overall target met, and every endpoint and journey that has its own targets
    /// meets them.
    /// - Parameter slowness: scales every target, the endpoints' and journeys' too (``LoadTargets/scaled(bySlowness:)``);
    ///   1 for a learner's verdict.
    public func passes(_ targets: LoadTargets, slowness: Double = 1) -> Bool {
        func met(_ targets: LoadTargets?, _ counts: Counts) -> Bool {
            targets.map { $0.scaled(bySlowness: slowness).allMet(counts) } ?? true
        }
        return met(targets, self.totals)
            && self.endpoints.allSatisfy { met($0.targets, $0.counts) }
            && (self.journeys ?? []).allSatisfy { met($0.targets, $0.counts) }
    }
}
