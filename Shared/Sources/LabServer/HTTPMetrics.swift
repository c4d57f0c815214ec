import HTTPTypes
import Prometheus

/// The request metrics every lab server exposes, named the Prometheus way (`_total` for counters,
/// `_seconds` for durations) so that standard dashboards and PromQL examples work unchanged.
struct HTTPMetrics: Sendable {
    static let shared = HTTPMetrics(registry: LabMetrics.registry)

    let inFlight: Gauge
    private let series: MetricHandles<Labels, (Counter, DurationHistogram)>

    /// The labels of one request series. Label values are bounded: routes are patterns, methods and status
    /// codes are few.
    struct Labels: Hashable, Sendable {
        var route: String
        var method: HTTPRequest.Method
        var status: Int
    }

    init(registry: PrometheusCollectorRegistry) {
        self.inFlight = registry.makeGauge(
            descriptor: .init(
                metricName: "http_requests_in_flight",
                unitName: "",
                helpText: "Requests the server has started but not yet answered."
            )
        )
        self.series = MetricHandles { key in
            let labels = [("route", key.route), ("method", key.method.rawValue), ("status", String(key.status))]
            let counter = registry.makeCounter(
                descriptor: .init(
                    metricName: "http_requests",
                    unitName: "total",
                    helpText: "Requests answered, by route, method and status code."
                ),
                labels: labels
            )
            let histogram = registry.makeDurationHistogram(
                descriptor: .init(
                    metricName: "http_request_duration",
                    unitName: "seconds",
                    helpText: "How long requests took to answer, by route, method and status code (errors included)."
                ),
                labels: labels,
                buckets: LabMetrics.latencyBuckets
            )
            return (counter, histogram)
        }
    }

    /// Counts one finished request and records how long it took, whatever its outcome.
    /// - Parameters:
    ///   - route: the route pattern (`/users/{id}`), never the raw path: one series per route, not per user.
    ///   - method: the HTTP method.
    ///   - status: the status sent back, including 5xx produced from a thrown error.
    ///   - duration: time from the request reaching the middleware to the response being ready.
    func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, duration: Duration) {
        let (counter, histogram) = self.series[Labels(route: route, method: method, status: status.code)]
        counter.increment()
        histogram.record(duration)
    }
}
