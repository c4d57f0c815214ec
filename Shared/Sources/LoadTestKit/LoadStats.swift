import Foundation
import Histogram
import NIOCore

/// Running counts and latency histograms for the requests of one event loop.
///
/// Only touched from its own event loop (no locks on the hot path); the generator merges the loops' stats
/// for progress lines and the final result.
final class LoadStats {
    struct Bucket: Sendable {
        var counts = LoadResult.Counts()
        /// Requests that succeeded before the window closed: throughput counts only these, so a server that
        /// answers every request with a fast 503 has a throughput of zero, not of its error rate.
        var succeededInWindow = 0
        var latency = LatencyRecorder()

        mutating func merge(_ other: Bucket) {
            self.counts.sent += other.counts.sent
            self.counts.succeeded += other.counts.succeeded
            self.counts.timeouts += other.counts.timeouts
            self.counts.connectionErrors += other.counts.connectionErrors
            self.counts.wrongAnswers += other.counts.wrongAnswers
            self.counts.httpErrors.merge(other.counts.httpErrors, uniquingKeysWith: +)
            self.counts.errorExamples.merge(other.counts.errorExamples) { mine, _ in mine }
            self.succeededInWindow += other.succeededInWindow
            self.latency.merge(other.latency)
        }

        /// Counts one outcome; `latencyNanoseconds` is only read for an answer (a request with no answer
        /// enters the percentiles as slower than any answer).
        mutating func record(_ outcome: Outcome, latencyNanoseconds: UInt64, inWindow: Bool) {
            switch outcome {
            case .success: self.counts.succeeded += 1
            case .httpError(let status): self.counts.httpErrors[String(status), default: 0] += 1
            case .wrongAnswer: self.counts.wrongAnswers += 1
            case .timeout: self.counts.timeouts += 1
            case .connectionError: self.counts.connectionErrors += 1
            }
            if case .success = outcome, inWindow { self.succeededInWindow += 1 }
            if outcome.isAnswer {
                self.latency.record(nanoseconds: latencyNanoseconds)
            } else {
                self.latency.recordNoAnswer()
            }
        }

        /// The counts with throughput and latency filled in.
        /// - Parameter timeoutSeconds: the number a percentile that falls among requests with no answer
        ///   reports (they waited at least that long, or never got a connection).
        func finished(windowSeconds: Double, timeoutSeconds: Double) -> LoadResult.Counts {
            var counts = self.counts
            counts.requestsPerSecond = windowSeconds > 0 ? Double(self.succeededInWindow) / windowSeconds : 0
            counts.latency = self.latency.summary(noAnswerMilliseconds: timeoutSeconds * 1000)
            return counts
        }
    }

    /// One bucket per endpoint. The total is their sum, made when asked for (``total``): recording each
    /// request once instead of twice keeps the histogram off the hot path's profile.
    var byEndpoint: [Bucket]
    /// After this instant, answers no longer count towards throughput (they are still counted as outcomes).
    var windowEnd: UInt64 = .max

    init(endpointCount: Int) {
        self.byEndpoint = Array(repeating: Bucket(), count: endpointCount)
    }

    /// Every endpoint's counts and latencies together.
    var total: Bucket {
        var total = Bucket()
        for bucket in self.byEndpoint { total.merge(bucket) }
        return total
    }

    enum Outcome {
        case success
        case httpError(status: Int)
        /// The status was right but the body was not (a journey step read stale or missing data).
        case wrongAnswer
        /// No answer within the timeout.
        case timeout
        /// No connection, or it broke before the answer.
        case connectionError

        /// The server answered (whether the answer was right or not).
        var isAnswer: Bool {
            switch self {
            case .success, .httpError, .wrongAnswer: true
            case .timeout, .connectionError: false
            }
        }
    }

    func recordSent(endpoint: Int) {
        self.byEndpoint[endpoint].counts.sent += 1
    }

    /// Keeps the body of the first error answer of each status, per endpoint (only that first one is read:
    /// the error path of a test full of errors must stay as cheap as the rest).
    func noteError(status: Int, body: ByteBuffer?, endpoint: Int) {
        let key = String(status)
        guard self.byEndpoint[endpoint].counts.errorExamples[key] == nil else { return }
        // JSON may escape "/" as "\/" (Foundation's encoder does): shown to a person, a URL reads better plain.
        let text = (body.map { String(buffer: $0) } ?? "").replacingOccurrences(of: "\\/", with: "/")
        // An HTML error page (nginx's 502) says what it is in its title; its first line is only "<html>".
        let title = text.range(of: "<title>").flatMap { start in
            text.range(of: "</title>", range: start.upperBound..<text.endIndex).map { "\(text[start.upperBound..<$0.lowerBound]) (an HTML page)" }
        }
        let firstLine = title ?? text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        self.byEndpoint[endpoint].counts.errorExamples[key] = firstLine.isEmpty ? "(empty body)" : String(firstLine.prefix(200))
    }

    /// Records the outcome of one sent request.
    /// - Parameter latencyNanoseconds: how long the answer took; ignored for a request with no answer.
    func record(_ outcome: Outcome, endpoint: Int, latencyNanoseconds: UInt64, now: UInt64) {
        self.byEndpoint[endpoint].record(outcome, latencyNanoseconds: latencyNanoseconds, inWindow: now <= self.windowEnd)
    }
}

/// Latency percentiles without storing every sample: an HdrHistogram of the answers in microseconds, up to
/// 10 minutes, with 3 significant digits (any percentile is within 0.1% of the exact value), and a count of
/// the requests that got no answer, which rank above every answer. A server that answers half its requests
/// in 1 ms and resets the other half has a p99 of "no answer", not of 1 ms.
public struct LatencyRecorder: Sendable {
    private var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
    /// Requests that got no answer (timed out, or no connection).
    private var unanswered = 0

    public init() {}

    public mutating func record(nanoseconds: UInt64) {
        self.histogram.record(min(600_000_000, max(1, nanoseconds / 1000)))
    }

    /// Records a request that got no answer: slower than any answer.
    public mutating func recordNoAnswer() {
        self.unanswered += 1
    }

    public mutating func merge(_ other: LatencyRecorder) {
        self.histogram.add(other.histogram)
        self.unanswered += other.unanswered
    }

    /// p50/p90/p99/p99.9/max in milliseconds, and the mean of the answers (all 0 when nothing was recorded).
    /// - Parameter noAnswerMilliseconds: the number a percentile reports when it falls among the requests with
    ///   no answer (``LoadResult/Latency/isUnanswered(_:)`` is then true for it): the timeout.
    public func summary(noAnswerMilliseconds: Double) -> LoadResult.Latency {
        var latency = LoadResult.Latency()
        let answered = Int(self.histogram.totalCount)
        latency.requests = answered + self.unanswered
        latency.unanswered = self.unanswered
        guard latency.requests > 0 else { return latency }
        let longestAnswer = Double(self.histogram.max) / 1000
        for percentile in LoadResult.Latency.Percentile.allCases {
            let rank = LoadResult.Latency.rank(percentile, of: latency.requests)
            // Among the answers, the percentile whose rank is `rank` (half a rank below, so HdrHistogram's
            // rounding up lands on it).
            latency[percentile] =
                rank > answered
                ? max(noAnswerMilliseconds, longestAnswer)
                : Double(self.histogram.valueAtPercentile((Double(rank) - 0.5) * 100 / Double(answered))) / 1000
        }
        latency.mean = answered > 0 ? self.histogram.mean / 1000 : 0
        return latency
    }
}
