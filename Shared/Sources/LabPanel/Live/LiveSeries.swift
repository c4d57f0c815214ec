import Foundation
import LabKit

/// The numbers the panel's live graphs show, each derived from two consecutive reads of the server's
/// `/metrics`: what a Codespaces learner sees in Grafana, without Prometheus.
public enum LiveSeries {
    public struct Point: Sendable, Equatable, Codable {
        /// Seconds since 1970.
        public var t: Double
        public var v: Double
    }

    /// One graph's definition: its name, unit, and the value between two reads `dt` seconds apart.
    struct Definition: Sendable {
        var name: String
        var unit: String
        var value: @Sendable (_ before: ServerMetrics, _ after: ServerMetrics, _ dt: Double) -> Double?
    }

    private static let appRoutes: @Sendable ([String: String]) -> Bool = { $0["route"] != "/metrics" && $0["route"] != "/health" }

    /// The graphs every scenario has.
    static let standard: [Definition] = [
        Definition(name: "Requests per second", unit: "req/s") { before, after, dt in
            max(0, after.sum("http_requests_total", matching: appRoutes) - before.sum("http_requests_total", matching: appRoutes)) / dt
        },
        Definition(name: "p99 response time", unit: "ms") { before, after, _ in
            after.quantile(0.99, of: "http_request_duration_seconds", since: before, matching: appRoutes).map { $0 * 1000 }
        },
        Definition(name: "Errors per second (5xx)", unit: "err/s") { before, after, dt in
            let errors: @Sendable ([String: String]) -> Bool = { appRoutes($0) && ($0["status"]?.hasPrefix("5") ?? false) }
            return max(0, after.sum("http_requests_total", matching: errors) - before.sum("http_requests_total", matching: errors)) / dt
        },
        Definition(name: "Database connections in use", unit: "connections") { _, after, _ in
            after.samples.contains { $0.name == "db_pool_connections_in_use" } ? after.sum("db_pool_connections_in_use") : nil
        },
        Definition(name: "Requests waiting for a connection", unit: "waiting") { _, after, _ in
            after.samples.contains { $0.name == "db_pool_requests_waiting" } ? after.sum("db_pool_requests_waiting") : nil
        },
    ]

    /// The scenario's own graphs, found in what its server exposes: a hit ratio per cache
    /// (`cache_requests_total{cache,result}`), replication lag where a server reports it.
    static func own(_ metrics: ServerMetrics) -> [Definition] {
        var definitions: [Definition] = []
        let caches = Set(metrics.samples.filter { $0.name == "cache_requests_total" }.compactMap { $0.labels["cache"] }).sorted()
        for cache in caches {
            definitions.append(
                Definition(name: "Cache \"\(cache)\" hit ratio", unit: "%") { before, after, _ in
                    func delta(_ result: String) -> Double {
                        let matching: @Sendable ([String: String]) -> Bool = { $0["cache"] == cache && $0["result"] == result }
                        return after.sum("cache_requests_total", matching: matching) - before.sum("cache_requests_total", matching: matching)
                    }
                    let (hits, misses) = (delta("hit"), delta("miss"))
                    return hits + misses > 0 ? 100 * hits / (hits + misses) : nil
                }
            )
        }
        if metrics.samples.contains(where: { $0.name == "replication_lag_seconds" }) {
            definitions.append(
                Definition(name: "Replication lag", unit: "s") { _, after, _ in after.sum("replication_lag_seconds") }
            )
        }
        return definitions
    }
}
