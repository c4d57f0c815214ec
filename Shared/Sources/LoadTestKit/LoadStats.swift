import Histogram

/// Running counts and latency histograms for the requests of one event loop.
///
/// Only touched from its own event loop (no locks on the hot path); the generator merges the loops' stats
/// for progress lines and the final result.
final class LoadStats {
    /// Latencies are recorded in microseconds, up to 10 minutes, to 3 significant digits (HdrHistogram).
    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    }

    struct Bucket: Sendable {
        var counts = LoadResult.Counts()
        var answeredInWindow = 0
        var histogram = LoadStats.makeHistogram()

        mutating func merge(_ other: Bucket) {
            self.counts.sent += other.counts.sent
            self.counts.succeeded += other.counts.succeeded
            self.counts.timeouts += other.counts.timeouts
            self.counts.connectionErrors += other.counts.connectionErrors
            self.counts.httpErrors.merge(other.counts.httpErrors, uniquingKeysWith: +)
            self.answeredInWindow += other.answeredInWindow
            self.histogram.add(other.histogram)
        }

        /// The counts with throughput and latency filled in.
        func finished(windowSeconds: Double) -> LoadResult.Counts {
            var counts = self.counts
            counts.requestsPerSecond = windowSeconds > 0 ? Double(self.answeredInWindow) / windowSeconds : 0
            counts.latency = Self.latency(of: self.histogram)
            return counts
        }

        static func latency(of histogram: Histogram<UInt64>) -> LoadResult.Latency {
            var latency = LoadResult.Latency()
            guard histogram.totalCount > 0 else { return latency }
            latency.p50 = Double(histogram.valueAtPercentile(50)) / 1000
            latency.p90 = Double(histogram.valueAtPercentile(90)) / 1000
            latency.p99 = Double(histogram.valueAtPercentile(99)) / 1000
            latency.p999 = Double(histogram.valueAtPercentile(99.9)) / 1000
            latency.max = Double(histogram.max) / 1000
            latency.mean = histogram.mean / 1000
            return latency
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
        case .timeout: bucket.counts.timeouts += 1
        case .connectionError: bucket.counts.connectionErrors += 1
        }
        if let latency {
            _ = bucket.histogram.record(max(1, latency / 1000))
        }
        switch outcome {
        case .success, .httpError: if inWindow { bucket.answeredInWindow += 1 }
        case .timeout, .connectionError: break
        }
    }
}
