import HTTPTypes
import Prometheus

/// The request metrics every lab server exposes, named the Prometheus way (`_total` for counters,
/// `_seconds` for durations) so that standard dashboards and PromQL examples work unchanged.
struct HTTPMetrics: Sendable {
    static let shared = HTTPMetrics(registry: LabMetrics.registry)

    let registry: PrometheusCollectorRegistry
    let inFlight: Gauge

    init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
        self.inFlight = registry.makeGauge(
            descriptor: .init(
                metricName: "http_requests_in_flight",
                unitName: "",
                helpText: "Requests the server has started but not yet answered."
            )
        )
    }

    /// Counts one finished request and records how long it took, whatever its outcome.
    /// - Parameters:
    ///   - route: the route pattern (`/users/{id}`), never the raw path: one series per route, not per user.
    ///   - method: the HTTP method.
    ///   - status: the status sent back, including 5xx produced from a thrown error.
    ///   - duration: time from the request reaching the middleware to the response being ready.
    func record(route: String, method: HTTPRequest.Method, status: HTTPResponse.Status, duration: Duration) {
        let labels = [("route", route), ("method", method.rawValue), ("status", String(status.code))]
        self.registry.makeCounter(
            descriptor: .init(
                metricName: "http_requests",
                unitName: "total",
                helpText: "Requests answered, by route, method and status code."
            ),
            labels: labels
        ).increment()
        self.registry.makeDurationHistogram(
            descriptor: .init(
                metricName: "http_request_duration",
                unitName: "seconds",
                helpText: "How long requests took to answer, by route, method and status code (errors included)."
            ),
            labels: labels,
            buckets: LabMetrics.latencyBuckets
        ).record(duration)
    }
}
