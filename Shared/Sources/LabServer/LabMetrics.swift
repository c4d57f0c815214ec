import Metrics
import Prometheus
import Synchronization

/// The one Prometheus registry of a lab server process, and what every scenario's `/metrics` shares.
///
/// Every metric family a learner sees on `/metrics` (and in Grafana) is registered in this registry by one
/// type of this target, each family in one place: requests by ``HTTPMetrics``, the pool and queries by
/// ``DatabaseMetrics``, the process by ``ProcessMetrics``, the program's name here. So the names stay the
/// same across scenarios and dashboards can be written once; and since swift-prometheus `fatalError`s when
/// one name is registered twice with a different type, help text or buckets, a family is never declared in
/// two places.
public enum LabMetrics {
    /// The registry `/metrics` renders. Also the backend of swift-metrics after ``bootstrap()``, so metrics
    /// emitted by libraries through the swift-metrics API end up on the same page.
    public static let registry = PrometheusCollectorRegistry()

    private static let isBootstrapped = Mutex(false)

    /// Makes ``registry`` the swift-metrics backend. Safe to call more than once (tests build several
    /// applications in one process); `MetricsSystem.bootstrap` itself may only run once per process.
    public static func bootstrap() {
        self.isBootstrapped.withLock { done in
            guard !done else { return }
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: self.registry))
            // Which program serves: `./lab check` tells the learner's server from the reference (server-fixed).
            let program = CommandLine.arguments.first.map { String($0.split(separator: "/").last ?? "") } ?? ""
            self.registry.makeGauge(
                descriptor: .init(metricName: "lab_server_info", unitName: "", helpText: "Always 1; the label names the running program."),
                labels: [("program", program)]
            ).set(Int64(1))
            done = true
        }
    }

    /// The Prometheus text exposition of every metric, with the process metrics refreshed first.
    public static func exposition() -> [UInt8] {
        ProcessMetrics.shared.refresh()
        return self.registry.emitToBuffer()
    }

    /// Latency buckets from 1 ms to 10 s: fine enough to see an indexed lookup (~1 ms) and a sequential scan
    /// (~50 ms) apart, wide enough to see a request that waited for the 5 s client timeout; with a bound at
    /// 2 s, the pools' usual acquire timeout, so "gave up waiting" shows as what it is.
    public static let latencyBuckets: [Duration] = [
        .milliseconds(1), .microseconds(2500), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(150), .milliseconds(200), .milliseconds(250),
        .milliseconds(300), .milliseconds(400), .milliseconds(500), .milliseconds(750), .seconds(1),
        .seconds(2), .milliseconds(2500), .seconds(5), .seconds(10),
    ]
}
