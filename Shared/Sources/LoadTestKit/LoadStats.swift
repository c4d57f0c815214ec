import Histogram

/// Running counts and latency histograms for the requests of one event loop.
///
/// Only touched from its own event loop (no locks on the hot path); the generator merges the loops' stats
/// for progress lines and the final result.
final class LoadStats {
    struct Bucket: Sendable {
        var counts = LoadResult.Counts()
        var answeredInWindow = 0
        var latency = LatencyRecorder()

        mutating func merge(_ other: Bucket) {
            self.counts.sent += other.counts.sent
            self.counts.succeeded += other.counts.succeeded
            self.counts.timeouts += other.counts.timeouts
            self.counts.connectionErrors += other.counts.connectionErrors
            self.counts.wrongAnswers += other.counts.wrongAnswers
            self.counts.httpErrors.merge(other.counts.httpErrors, uniquingKeysWith: +)
            self.answeredInWindow += other.answeredInWindow
            self.latency.merge(other.latency)
        }

        /// The counts with throughput and latency filled in.
        func finished(windowSeconds: Double) -> LoadResult.Counts {
            var counts = self.counts
            counts.requestsPerSecond = windowSeconds > 0 ? Double(self.answeredInWindow) / windowSeconds : 0
            counts.latency = self.latency.summary
            return counts
        }

    }

    var total = Bucket()
    var byEndpoint: [Bucket]
    /// After this instant, answers no longer count towards throughput (they are still counted as outcomes).
    var windowEnd: UInt64 = .max

    init(endpointCount: Int) {
        self.byEndpoint = Array(repeating: Bucket(), count: endpointCount)
    }

    enum Outcome {
        case success
        case httpError(status: Int)
        /// The status was right but the body was not (a journey step read stale or missing data).
        case wrongAnswer
        case timeout
        case connectionError
    }

    func recordSent(endpoint: Int) {
        self.total.counts.sent += 1
        self.byEndpoint[endpoint].counts.sent += 1
    }

    /// Records the outcome of one sent request.
    /// - Parameter latencyNanoseconds: nil for connection errors (no answer, no meaningful latency).
    func record(_ outcome: Outcome, endpoint: Int, latencyNanoseconds: UInt64?, now: UInt64) {
        Self.apply(outcome, latency: latencyNanoseconds, inWindow: now <= self.windowEnd, to: &self.total)
        Self.apply(outcome, latency: latencyNanoseconds, inWindow: now <= self.windowEnd, to: &self.byEndpoint[endpoint])
    }

    private static func apply(_ outcome: Outcome, latency: UInt64?, inWindow: Bool, to bucket: inout Bucket) {
        switch outcome {
        case .success: bucket.counts.succeeded += 1
        case .httpError(let status): bucket.counts.httpErrors[String(status), default: 0] += 1
        case .wrongAnswer: bucket.counts.wrongAnswers += 1
        case .timeout: bucket.counts.timeouts += 1
        case .connectionError: bucket.counts.connectionErrors += 1
        }
        if let latency {
            bucket.latency.record(nanoseconds: latency)
        }
        switch outcome {
        case .success, .httpError, .wrongAnswer: if inWindow { bucket.answeredInWindow += 1 }
        case .timeout, .connectionError: break
        }
    }
}

/// Latency percentiles without storing every sample: an HdrHistogram in microseconds, up to 10 minutes, with
/// 3 significant digits (any percentile is within 0.1% of the exact value).
public struct LatencyRecorder: Sendable {
    private var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)

    public init() {}

    public mutating func record(nanoseconds: UInt64) {
        _ = self.histogram.record(min(600_000_000, max(1, nanoseconds / 1000)))
    }

    public mutating func merge(_ other: LatencyRecorder) {
        self.histogram.add(other.histogram)
    }

    /// p50/p90/p99/p99.9/max/mean in milliseconds (all 0 when nothing was recorded).
    public var summary: LoadResult.Latency {
        var latency = LoadResult.Latency()
        guard self.histogram.totalCount > 0 else { return latency }
        latency.p50 = Double(self.histogram.valueAtPercentile(50)) / 1000
        latency.p90 = Double(self.histogram.valueAtPercentile(90)) / 1000
        latency.p99 = Double(self.histogram.valueAtPercentile(99)) / 1000
        latency.p999 = Double(self.histogram.valueAtPercentile(99.9)) / 1000
        latency.max = Double(self.histogram.max) / 1000
        latency.mean = self.histogram.mean / 1000
        return latency
    }
}
