import Foundation
import LabKit

/// What a learner sees in Grafana, proven without Grafana (used by each scenario's dashboard test): a real
/// Prometheus (the native one, same scrape config as Docker Compose) scrapes the scenario's real servers
/// during a real load, then every query of every panel of the overview and of the scenario's own dashboard
/// is asked for the window Grafana would draw. A query with no number at all is a panel showing "No data".
public struct DashboardCheck: Sendable {
    public let lesson: Lesson

    public init(_ lesson: Lesson) {
        self.lesson = lesson
    }

    /// One panel query and what Prometheus returned for it.
    public struct Result: Sendable {
        public var dashboard: String
        public var panel: String
        public var query: String
        public var hasData: Bool
    }

    /// Starts Prometheus and the exporter (stopping them afterwards if they were not running), loads the
    /// naive then the fixed server for `seconds` each, and asks Prometheus every panel query.
    public func run(seconds: Double = 10) async throws -> [Result] {
        let observability = Observability(paths: self.lesson.paths)
        let wasRunning = observability.prometheus.running() != nil
        _ = try await observability.start(required: true)
        do {
            let results = try await self.loadAndQuery(seconds: seconds)
            if !wasRunning { _ = await observability.stop() }
            return results
        } catch {
            if !wasRunning { _ = await observability.stop() }
            throw error
        }
    }

    /// Prometheus jobs (observability/prometheus/prometheus.yml) that only have data when the scenario runs
    /// a service of this kind.
    static let serviceJobs = ["redis": RedisService.kind, "replica": PostgresReplicaService.kind, "haproxy": HAProxyService.kind]

    private func loadAndQuery(seconds: Double) async throws -> [Result] {
        let start = Date()
        // The learner's story in short: the naive server under load, then the fixed one. Some panels only
        // have numbers for one of them (the pool's wait time needs a pool), as in Grafana's time range.
        //
        // Each server stays up 6 s after its load: one more scrape (every 5 s) of everything it counted. A
        // series that appears during the load (scenario 05's cache hits, from the first hit on) may otherwise
        // have a single sample, and a rate needs two: its panel showed "No data" once in CI.
        let oneMoreScrape: @Sendable () async throws -> Void = { try await Task.sleep(for: .seconds(6)) }
        for product in ["server", "server-fixed"] {
            _ = try await self.lesson.measure(product, label: "dashboard traffic: \(product)", seconds: seconds, during: {}, after: oneMoreScrape)
        }

        let prometheus = PrometheusAPI()
        let kinds = Set((self.lesson.scenario.manifest.services ?? []).map(\.kind))
        var results: [Result] = []
        for dashboard in try GrafanaDashboard.forScenario(self.lesson.scenario, in: self.lesson.paths) {
            for panel in dashboard.queryPanels {
                for target in panel.targets ?? [] {
                    let query = GrafanaDashboard.prometheusQuery(target.expr ?? "")
                    // A panel about a service this scenario does not run (the overview's Redis row, collapsed
                    // for the others) is expected to stay empty here.
                    if let kind = Self.serviceJobs.first(where: { query.contains("job=\"\($0.key)\"") })?.value, !kinds.contains(kind) { continue }
                    let series = try prometheus.queryRange(query, start: start, end: Date())
                    results.append(
                        Result(
                            dashboard: dashboard.url.lastPathComponent,
                            panel: panel.title ?? "?",
                            query: query,
                            hasData: series.contains { $0.values.contains { !$0.isNaN } }
                        )
                    )
                }
            }
        }
        return results
    }
}
